/**
 * One-node ONNX models for the benchmark peers (onnxruntime-node, onnxruntime-web), built with
 * onnx-proto. The timed input (x or dy) is the graph input; weights and per-channel parameters are
 * initializers, as in a deployed model (ONNX Runtime may pre-pack them once, outside the timing).
 */
import onnxProto from 'onnx-proto';
import type { BenchArray, BenchInputs } from './runner.js';
import { convOutShape, poolOutShape, type Workload } from './workloads.js';

const { onnx } = onnxProto;
const FLOAT = 1;

export interface OnnxModel {
  bytes: Uint8Array;
  /** Graph input name → its array (the feeds of every run). */
  feeds: Record<string, BenchArray>;
  output: string;
}

type Attr = { name: string; ints?: number[]; i?: number; f?: number };

function valueInfo(name: string, dims: readonly number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })) }),
      }),
    }),
  });
}

function attribute(a: Attr) {
  const T = onnx.AttributeProto.AttributeType;
  if (a.ints) return onnx.AttributeProto.create({ name: a.name, type: T.INTS, ints: a.ints });
  if (a.f !== undefined) return onnx.AttributeProto.create({ name: a.name, type: T.FLOAT, f: a.f });
  return onnx.AttributeProto.create({ name: a.name, type: T.INT, i: a.i });
}

function initializer(name: string, a: BenchArray) {
  return onnx.TensorProto.create({
    name,
    dims: a.shape,
    dataType: FLOAT,
    rawData: new Uint8Array(a.data.buffer.slice(a.data.byteOffset, a.data.byteOffset + a.data.byteLength)),
  });
}

/** Serialises a graph of one node: `feedName` is the graph input, `constants` become initializers. */
export function oneNodeModel(
  opType: string,
  opset: number,
  feedName: string,
  feed: BenchArray,
  constants: [string, BenchArray][],
  attrs: Attr[],
  outShape: readonly number[],
): OnnxModel {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'hypercolumn-conformance',
    opsetImport: [{ domain: '', version: opset }],
    graph: onnx.GraphProto.create({
      name: opType,
      node: [onnx.NodeProto.create({ opType, input: [feedName, ...constants.map(([n]) => n)], output: ['y'], attribute: attrs.map(attribute) })],
      initializer: constants.map(([n, a]) => initializer(n, a)),
      input: [valueInfo(feedName, feed.shape)],
      output: [valueInfo('y', outShape)],
    }),
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), feeds: { [feedName]: feed }, output: 'y' };
}

/** The ONNX model of a workload, or the reason ONNX has no such op. */
export function workloadModel(w: Workload, inputs: BenchInputs): OnnxModel | string {
  const s = w.spec;
  const i = (n: string) => inputs[n]!;
  switch (s.type) {
    case 'train':
      return 'ONNX Runtime (inference builds) does not train';
    case 'conv': {
      const k = s.w.slice(2);
      const common: Attr[] = [
        { name: 'kernel_shape', ints: k },
        { name: 'strides', ints: k.map(() => s.stride) },
        { name: 'pads', ints: [...k, ...k].map(() => s.pad) },
        { name: 'group', i: s.groups },
      ];
      if (s.pass === 'forward') return oneNodeModel('Conv', 17, 'x', i('x'), [['w', i('w')]], common, convOutShape(s));
      if (s.pass === 'backpropInput') {
        // ConvTranspose's weight [C_in = O, C_out / g, kh, kw] is the forward OIHW weight.
        const attrs = [...common, { name: 'output_shape', ints: s.x.slice(2) }];
        return oneNodeModel('ConvTranspose', 17, 'dy', i('dy'), [['w', i('w')]], attrs, s.x);
      }
      return 'ONNX has no filter-gradient op (ConvGrad exists only in ONNX Runtime training builds)';
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const attrs: Attr[] = [
        { name: 'kernel_shape', ints: [s.kernel, s.kernel] },
        { name: 'strides', ints: [s.stride, s.stride] },
        { name: 'pads', ints: [s.pad, s.pad, s.pad, s.pad] },
        ...(s.type === 'avgPool2d' ? [{ name: 'count_include_pad', i: 1 }] : []),
      ];
      return oneNodeModel(s.type === 'maxPool2d' ? 'MaxPool' : 'AveragePool', 17, 'x', i('x'), [], attrs, poolOutShape(s));
    }
    case 'globalAvgPool':
      return oneNodeModel('GlobalAveragePool', 17, 'x', i('x'), [], [], [s.x[0], s.x[1], 1, 1]);
    case 'norm': {
      if (s.pass === 'backward') return 'ONNX has no normalization backward op (the *Grad ops exist only in ONNX Runtime training builds)';
      const eps = { name: 'epsilon', f: 1e-5 };
      switch (s.norm) {
        case 'batchNorm':
          return oneNodeModel('BatchNormalization', 15, 'x', i('x'), [['scale', i('scale')], ['offset', i('offset')], ['mean', i('mean')], ['variance', i('variance')]], [eps], s.x);
        case 'instanceNorm':
          return oneNodeModel('InstanceNormalization', 17, 'x', i('x'), [['scale', i('weight')], ['bias', i('bias')]], [eps], s.x);
        case 'groupNorm':
          // GroupNormalization-21: scale and bias per channel (opset 18's per-group form is deprecated).
          return oneNodeModel('GroupNormalization', 21, 'x', i('x'), [['scale', i('weight')], ['bias', i('bias')]], [eps, { name: 'num_groups', i: s.groups! }], s.x);
        case 'layerNorm':
          return oneNodeModel('LayerNormalization', 17, 'x', i('x'), [['scale', i('weight')], ['bias', i('bias')]], [eps, { name: 'axis', i: 1 }], s.x);
      }
    }
  }
}
