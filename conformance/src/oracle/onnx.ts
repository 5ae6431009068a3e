/**
 * ONNX Runtime as a second, independent reference: each op becomes a one-node ONNX model built with
 * onnx-proto, run by onnxruntime-node (float32, its own kernels). Sessions are cached per model
 * signature (op, attributes, input shapes).
 * It is the `Oracle` of `@hypercolumn/conformance-core`. Where ONNX cannot express an op or its
 * semantics differ from PyTorch's, the op's `onnx()` says why and the case is float64 only.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { OnnxNode } from '@hypercolumn/conformance-core';

export type { OnnxNode };

const { onnx } = onnxProto;

type AttrValue = NonNullable<OnnxNode['attrs']>[string];

const FLOAT = 1;
const INT64 = 7;

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
  if (Number.isInteger(v) && !name.startsWith('epsilon') && name !== 'momentum') return { name, type: AttributeType.INT, i: v };
  return { name, type: AttributeType.FLOAT, f: v };
}

function modelBytes(node: OnnxNode): Uint8Array {
  const graph = onnx.GraphProto.create({
    name: node.opType,
    node: [
      onnx.NodeProto.create({
        opType: node.opType,
        input: node.inputs.map((i) => i.name),
        output: node.outputs,
        attribute: Object.entries(node.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      }),
    ],
    input: node.inputs
      .filter((i) => i.name !== '')
      .map((i) =>
        onnx.ValueInfoProto.create({
          name: i.name,
          type: { tensorType: { elemType: i.dtype === 'int64' ? INT64 : FLOAT, shape: { dim: i.shape.map((d) => ({ dimValue: d })) } } },
        }),
      ),
    output: node.outputs.map((name) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: node.outputTypes?.[name] === 'int64' ? INT64 : FLOAT } } })),
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'hypercolumn-conformance',
    opsetImport: [{ domain: '', version: node.opset ?? 18 }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(node: OnnxNode): Promise<ort.InferenceSession> {
  const key = JSON.stringify(node);
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(modelBytes(node), { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1 });
    sessions.set(key, s);
  }
  return s;
}

/** Runs a one-node model; feeds are float32 (or int64 for dtype 'int64'); returns every output in order. */
export async function runOnnx(node: OnnxNode, feeds: Record<string, ArrayLike<number>>): Promise<{ data: Float32Array; shape: number[] }[]> {
  const s = await session(node);
  const inputs: Record<string, ort.Tensor> = {};
  for (const i of node.inputs) {
    if (i.name === '') continue;
    const values = feeds[i.name];
    if (!values) throw new Error(`onnx oracle: no value for input ${i.name}`);
    inputs[i.name] =
      i.dtype === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.from(Array.from(values, (v) => BigInt(v))), [...i.shape])
        : new ort.Tensor('float32', Float32Array.from(values), [...i.shape]);
  }
  const out = await s.run(inputs);
  // int64 outputs (indices) as float32 values, as hypercolumn returns them (exact below 2^24)
  const asFloat = (data: ort.Tensor['data']) => (data instanceof BigInt64Array ? Float32Array.from(data, Number) : (data as Float32Array));
  return node.outputs.map((name) => ({ data: asFloat(out[name].data), shape: [...out[name].dims] }));
}

/** Drops cached sessions (tests, long runs). */
export async function releaseOnnxSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const s of all) await (await s).release();
}
