/**
 * How each public op is called on hypercolumn, on the float64 reference and on ONNX Runtime.
 * The case table (cases.ts) is data; this file is the one place that turns a case into calls.
 */
import type * as HC from '@hypercolumn/core';
import type { Tensor } from '@hypercolumn/core';
import type { OnnxNode } from './oracle.js';
import * as R from './reference/index.js';
import type { F64, WithMagnitude } from './reference/index.js';
import { TRAINING_OPS } from './training/ops.js';

export type Attrs = Record<string, any>;

/** A reference output with its tolerance magnitude. */
export type RefOut = WithMagnitude;

export interface OnnxCall {
  node: OnnxNode;
  feeds: Record<string, ArrayLike<number>>;
}

export interface OpSpec {
  /** The public API the row exercises, as a path under `hc` (default: the op name); 'missing' when absent. */
  api?: string;
  /** Forward-kind rows whose float64 reference is itself central finite differences: label them so. */
  referenceKind?: 'finite-difference';
  /** Input names in call order (optional ones may be absent from a case). */
  inputs: string[];
  /** Inputs that are not float tensors (class labels): passed to the op as plain arrays. */
  plainInputs?: string[];
  /** Calls hypercolumn; returns the outputs to compare (the first is the differentiable output y). */
  run(hc: typeof HC, t: Record<string, Tensor | undefined>, a: Attrs, plain: Record<string, number[]>): Tensor[];
  /** Float64 reference of the same outputs. `base` is the unperturbed input (FD: constants such as renorm's r, d). */
  reference(v: Record<string, F64 | undefined>, a: Attrs, base?: Record<string, F64 | undefined>): RefOut[];
  /** One-node ONNX model and its feeds, or a string: why there is none (the case is float64 only). */
  onnx?(v: Record<string, F64 | undefined>, a: Attrs): OnnxCall | string;
  /** Inputs that get gradients in backward cases. */
  differentiable?: string[];
  /** Adjusts generated inputs in place (keep FD away from kinks). */
  prepare?(v: Record<string, Float32Array>, shapes: Record<string, number[]>, a: Attrs): void;
}

const withAbs = (op: (...args: any[]) => F64, ...args: any[]): RefOut => ({ ...op(...args), magnitude: R.magnitude(op, ...args) });
const exactMag = (y: F64): RefOut => ({ ...y, magnitude: R.absOf(y) });
const feeds = (v: Record<string, F64 | undefined>) =>
  Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, x!.data]));
const inp = (name: string, x: F64 | undefined) => (x ? { name, shape: x.shape } : { name: '', shape: [] });
const fillF64 = (shape: number[], value: number) => R.f64(shape, new Array(R.numel(shape)).fill(value));
const pairOf = (v: any, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function flipSpatial(w: F64): F64 {
  const sp = w.shape.slice(2);
  const S = R.numel(sp);
  const out = R.f64(w.shape);
  for (let oc = 0; oc < w.shape[0] * w.shape[1]; oc++) for (let k = 0; k < S; k++) out.data[oc * S + k] = w.data[oc * S + (S - 1 - k)];
  return out;
}

function convOnnx(v: Record<string, F64 | undefined>, a: Attrs, oneD: boolean): OnnxCall {
  const x = v.x!;
  const w = a.mode === 'convolution' ? flipSpatial(v.w!) : v.w!;
  let pads: number[];
  let strides: number[];
  let dilations: number[];
  if (oneD) {
    const p = a.padding;
    const d = a.dilation ?? 1;
    const s = a.stride ?? 1;
    const [, , l, r] = R.refPads2d(p === 'same' || p === 'valid' || p === undefined ? p : typeof p === 'number' ? [0, 0, p, p] : p.length === 1 ? [0, 0, p[0], p[0]] : [0, 0, p[0], p[1]], [1, x.shape[2]], [1, w.shape[2]], [1, s], [1, d]);
    pads = [l, r];
    strides = [s];
    dilations = [d];
  } else {
    strides = pairOf(a.stride, 1);
    dilations = pairOf(a.dilation, 1);
    const [t, b, l, r] = R.refPads2d(a.padding, [x.shape[2], x.shape[3]], [w.shape[2], w.shape[3]], strides as [number, number], dilations as [number, number]);
    pads = [t, l, b, r];
  }
  return {
    node: {
      opType: 'Conv',
      inputs: [inp('x', x), inp('w', w), ...(v.b ? [inp('b', v.b)] : [])],
      outputs: ['y'],
      attrs: { pads, strides, dilations, group: a.groups ?? 1, kernel_shape: w.shape.slice(2) },
    },
    feeds: { ...feeds(v), w: w.data },
  };
}


function poolOnnx(opType: 'MaxPool' | 'AveragePool', x: F64, a: Attrs, oneD: boolean): OnnxCall | string {
  if (opType === 'MaxPool') {
    // a window entirely in padding (dilated taps past a short map): over zeros only such windows give −Inf
    const zeros = { shape: x.shape, data: new Float64Array(x.data.length) };
    const y = oneD ? R.maxPool1d(zeros, a as any) : R.maxPool2d(zeros, a as any);
    if (y.data.some((e) => e === -Infinity)) return 'a window lies entirely in padding: ONNX Runtime answers −FLT_MAX there, PyTorch (and we) −Inf';
  }
  const k = oneD ? [a.kernelSize] : pairOf(a.kernelSize, 1);
  const s = oneD ? [a.stride ?? a.kernelSize] : a.stride === undefined ? k : pairOf(a.stride, 1);
  const attrs: Record<string, number | number[] | string> = { kernel_shape: k, strides: s, ceil_mode: a.ceilMode ? 1 : 0 };
  if (a.padding === 'same') attrs.auto_pad = 'SAME_UPPER'; // ONNX's own rule: output ceil(x/s), the odd pixel after
  else if (a.padding === 'valid') attrs.auto_pad = 'VALID';
  else if (oneD) {
    const [l, r] = typeof a.padding === 'object' ? [a.padding[0], a.padding[1] ?? a.padding[0]] : [a.padding ?? 0, a.padding ?? 0];
    attrs.pads = [l, r];
  } else if (Array.isArray(a.padding) && a.padding.length === 4) {
    const [t, b, l, r] = a.padding;
    attrs.pads = [t, l, b, r]; // ONNX: all begins, then all ends
  } else {
    const p = pairOf(a.padding, 0);
    attrs.pads = [...p, ...p];
  }
  if (opType === 'MaxPool') attrs.dilations = oneD ? [a.dilation ?? 1] : pairOf(a.dilation, 1);
  else attrs.count_include_pad = a.countIncludePad === false ? 0 : 1;
  return { node: { opType, opset: 19, inputs: [inp('x', x)], outputs: ['y'], attrs }, feeds: { x: x.data } };
}

/** Moves values that sit within `margin` of a kink (0, or τ) off it, so FD never straddles one. */
function awayFrom(values: Float32Array, kinkOf: (i: number) => number, margin: number): void {
  for (let i = 0; i < values.length; i++) {
    const d = values[i] - kinkOf(i);
    if (Math.abs(d) < margin) values[i] = kinkOf(i) + (d < 0 ? -margin : margin) * (1 + (i % 7) / 7);
  }
}

function normOnnx(opType: string, v: Record<string, F64 | undefined>, attrs: Record<string, number>, scaleShape: number[], extra: Partial<OnnxNode> = {}): OnnxCall {
  const scale = v.weight ?? fillF64(scaleShape, 1);
  const bias = v.bias ?? fillF64(scaleShape, 0);
  return {
    node: { opType, inputs: [inp('x', v.x), inp('scale', scale), inp('bias', bias)], outputs: ['y'], attrs, ...extra },
    feeds: { x: v.x!.data, scale: scale.data, bias: bias.data },
  };
}

const bnInputs = ['x', 'runningMean', 'runningVar', 'weight', 'bias'];

/**
 * The fused parameters' magnitudes: |γ|·|W|/σ and |γ|(|b| + |μ|)/σ + |β| (μ enters as −|μ|, so the
 * bias term adds what b − μ cancels: with b ≈ μ ≈ 1e6 float32 rounds at that scale, not at |b − μ|).
 */
function fusedMagnitude(v: Record<string, F64 | undefined>, a: Attrs): { w: F64; b: F64 } {
  const negatedMean = R.map(v.runningMean!, (m) => -Math.abs(m));
  return R.fuseConvBatchNorm(R.absOf(v.w!), v.b && R.absOf(v.b), negatedMean, v.runningVar!, v.gamma && R.absOf(v.gamma), v.beta && R.absOf(v.beta), a.eps ?? 1e-5);
}

export const OPS: Record<string, OpSpec> = {
  conv2d: {
    inputs: ['x', 'w', 'b'],
    run: (hc, t, a) => [hc.conv2d(t.x!, t.w!, t.b, a)],
    reference: (v, a) => [withAbs(R.conv2d, v.x, v.w, v.b, a)],
    onnx: (v, a) => convOnnx(v, a, false),
    differentiable: ['x', 'w', 'b'],
  },
  conv1d: {
    inputs: ['x', 'w', 'b'],
    run: (hc, t, a) => [hc.conv1d(t.x!, t.w!, t.b, a)],
    reference: (v, a) => [withAbs(R.conv1d, v.x, v.w, v.b, a)],
    onnx: (v, a) => convOnnx(v, a, true),
    differentiable: ['x', 'w', 'b'],
  },
  maxPool2d: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.maxPool2d(t.x!, a as any)],
    reference: (v, a) => [exactMag(R.maxPool2d(v.x!, a as any))],
    onnx: (v, a) => poolOnnx('MaxPool', v.x!, a, false),
    differentiable: ['x'],
  },
  maxPool1d: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.maxPool1d(t.x!, a as any)],
    reference: (v, a) => [exactMag(R.maxPool1d(v.x!, a as any))],
    onnx: (v, a) => poolOnnx('MaxPool', v.x!, a, true),
    differentiable: ['x'],
  },
  avgPool2d: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.avgPool2d(t.x!, a as any)],
    reference: (v, a) => [withAbs(R.avgPool2d, v.x, a)],
    onnx: (v, a) => poolOnnx('AveragePool', v.x!, a, false),
    differentiable: ['x'],
  },
  avgPool1d: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.avgPool1d(t.x!, a as any)],
    reference: (v, a) => [withAbs(R.avgPool1d, v.x, a)],
    onnx: (v, a) => poolOnnx('AveragePool', v.x!, a, true),
    differentiable: ['x'],
  },
  globalAvgPool2d: {
    inputs: ['x'],
    run: (hc, t) => [hc.globalAvgPool2d(t.x!)],
    reference: (v) => [withAbs(R.globalAvgPool2d, v.x)],
    onnx: (v) => ({ node: { opType: 'GlobalAveragePool', inputs: [inp('x', v.x)], outputs: ['y'] }, feeds: feeds(v) }),
    differentiable: ['x'],
  },
  batchNorm: {
    inputs: bnInputs,
    // outputs: y, then the running statistics after the call (updated in place in training)
    run: (hc, t, a) => [hc.batchNorm(t.x!, t.runningMean, t.runningVar, t.weight, t.bias, a), t.runningMean!, t.runningVar!],
    reference: (v, a) => {
      const r = R.batchNorm(v.x!, v.runningMean!, v.runningVar!, v.weight, v.bias, a);
      return [r.y, r.runningMean, r.runningVar];
    },
    onnx: (v, a) => {
      if (a.training) {
        return 'ONNX BatchNormalization training_mode updates running_var with the biased batch variance; PyTorch and DESIGN §3 use the unbiased one';
      }
      const C = v.x!.shape[1];
      const call = normOnnx('BatchNormalization', { x: v.x, weight: v.weight, bias: v.bias }, { epsilon: a.eps ?? 1e-5 }, [C]);
      call.node.inputs.push(inp('mean', v.runningMean), inp('var', v.runningVar));
      call.node.outputs = ['y'];
      return { node: call.node, feeds: { ...call.feeds, mean: v.runningMean!.data, var: v.runningVar!.data } };
    },
    differentiable: ['x', 'weight', 'bias'],
  },
  batchRenorm: {
    inputs: bnInputs,
    run: (hc, t, a) => [hc.batchRenorm(t.x!, t.runningMean!, t.runningVar!, t.weight, t.bias, a), t.runningMean!, t.runningVar!],
    reference: (v, a, base) => {
      // r and d are constants in backward (Ioffe 2017): hold them at their values for the unperturbed input
      const fixed = base && a.training ? R.renormCorrection(base.x!, base.runningMean!, base.runningVar!, a) : undefined;
      const r = R.batchRenorm(v.x!, v.runningMean!, v.runningVar!, v.weight, v.bias, { ...a, fixed });
      return [r.y, r.runningMean, r.runningVar];
    },
    onnx: () => 'ONNX has no batch renormalization op',
    differentiable: ['x', 'weight', 'bias'],
  },
  layerNorm: {
    inputs: ['x', 'weight', 'bias'],
    run: (hc, t, a) => [hc.layerNorm(t.x!, a.normalizedShape, t.weight, t.bias, { eps: a.eps })],
    reference: (v, a) => [R.layerNorm(v.x!, a.normalizedShape, v.weight, v.bias, { eps: a.eps })],
    onnx: (v, a) => normOnnx('LayerNormalization', v, { axis: -a.normalizedShape.length, epsilon: a.eps ?? 1e-5 }, a.normalizedShape, { opset: 18 }),
    differentiable: ['x', 'weight', 'bias'],
  },
  instanceNorm: {
    inputs: ['x', 'weight', 'bias'],
    run: (hc, t, a) => [hc.instanceNorm(t.x!, t.weight, t.bias, { eps: a.eps })],
    reference: (v, a) => [R.instanceNorm(v.x!, v.weight, v.bias, { eps: a.eps })],
    onnx: (v, a) => normOnnx('InstanceNormalization', v, { epsilon: a.eps ?? 1e-5 }, [v.x!.shape[1]]),
    differentiable: ['x', 'weight', 'bias'],
  },
  groupNorm: {
    inputs: ['x', 'weight', 'bias'],
    run: (hc, t, a) => [hc.groupNorm(t.x!, a.numGroups, t.weight, t.bias, { eps: a.eps })],
    reference: (v, a) => [R.groupNorm(v.x!, a.numGroups, v.weight, v.bias, { eps: a.eps })],
    // opset 21: scale and bias per channel (opset 18's per-group scale was a spec bug)
    onnx: (v, a) => normOnnx('GroupNormalization', v, { num_groups: a.numGroups, epsilon: a.eps ?? 1e-5 }, [v.x!.shape[1]], { opset: 21 }),
    differentiable: ['x', 'weight', 'bias'],
  },
  frn: {
    // eps: a [1] input tensor when the case makes it learnable, else the attribute
    inputs: ['x', 'weight', 'bias', 'eps'],
    run: (hc, t, a) => [hc.frn(t.x!, t.weight, t.bias, { eps: t.eps ?? a.eps })],
    reference: (v, a) => [R.frn(v.x!, v.weight, v.bias, { eps: v.eps ? v.eps.data[0] : a.eps })],
    onnx: () => 'ONNX has no filter response normalization op',
    differentiable: ['x', 'weight', 'bias', 'eps'],
  },
  tlu: {
    inputs: ['x', 'tau'],
    run: (hc, t) => [hc.tlu(t.x!, t.tau!)],
    reference: (v) => [R.tlu(v.x!, v.tau!)],
    onnx: (v) => {
      const C = v.x!.shape[1];
      const tauShape = [1, C, ...v.x!.shape.slice(2).map(() => 1)];
      return { node: { opType: 'Max', inputs: [inp('x', v.x), { name: 'tau', shape: tauShape }], outputs: ['y'] }, feeds: feeds(v) };
    },
    differentiable: ['x', 'tau'],
    prepare: (v, shapes) => {
      const [N, C] = shapes.x;
      const S = v.x.length / (N * C);
      awayFrom(v.x, (i) => v.tau[Math.floor(i / S) % C], 0.05);
    },
  },
  relu: {
    inputs: ['x'],
    run: (hc, t) => [hc.relu(t.x!)],
    reference: (v) => [R.relu(v.x!)],
    onnx: (v) => ({ node: { opType: 'Relu', inputs: [inp('x', v.x)], outputs: ['y'] }, feeds: feeds(v) }),
    differentiable: ['x'],
    prepare: (v) => awayFrom(v.x, () => 0, 0.05),
  },
  sigmoid: {
    inputs: ['x'],
    run: (hc, t) => [hc.sigmoid(t.x!)],
    reference: (v) => [R.sigmoid(v.x!)],
    onnx: (v) => ({ node: { opType: 'Sigmoid', inputs: [inp('x', v.x)], outputs: ['y'] }, feeds: feeds(v) }),
    differentiable: ['x'],
  },
  tanh: {
    inputs: ['x'],
    run: (hc, t) => [hc.tanh(t.x!)],
    reference: (v) => [R.tanh(v.x!)],
    onnx: (v) => ({ node: { opType: 'Tanh', inputs: [inp('x', v.x)], outputs: ['y'] }, feeds: feeds(v) }),
    differentiable: ['x'],
  },
  permute: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.permute(t.x!, a.dims)],
    reference: (v, a) => [exactMag(R.permute(v.x!, a.dims))],
    onnx: (v, a) => ({ node: { opType: 'Transpose', inputs: [inp('x', v.x)], outputs: ['y'], attrs: { perm: a.dims } }, feeds: feeds(v) }),
    differentiable: ['x'],
  },
  concat: {
    inputs: ['a', 'b', 'c'],
    run: (hc, t, a) => [hc.concat([t.a!, t.b!, ...(t.c ? [t.c] : [])], a.axis ?? 0)],
    reference: (v, a) => [exactMag(R.concat([v.a!, v.b!, ...(v.c ? [v.c] : [])], a.axis ?? 0))],
    onnx: (v, a) => ({
      node: { opType: 'Concat', inputs: [inp('a', v.a), inp('b', v.b), ...(v.c ? [inp('c', v.c)] : [])], outputs: ['y'], attrs: { axis: a.axis ?? 0 } },
      feeds: feeds(v),
    }),
    differentiable: ['a', 'b', 'c'],
  },
  argmax: {
    inputs: ['x'],
    // indices compared exactly (magnitude 0): float32 holds them exactly
    run: (hc, t, a) => [hc.argmax(t.x!, a.dim, a.keepDim ?? false)],
    reference: (v, a) => {
      const y = R.argmax(v.x!, a.dim);
      const d = a.dim === undefined ? -1 : a.dim < 0 ? a.dim + v.x!.shape.length : a.dim;
      const shape = !a.keepDim ? y.shape : v.x!.shape.map((s, k) => (d === -1 || k === d ? 1 : s));
      return [{ shape, data: y.data, magnitude: R.f64(shape) }];
    },
    // ONNX ArgMax (int64 indices, read back as float32); select_last_index 0: ties → the first index,
    // as PyTorch. Without dim: over x fed as [1, …, 1, size] (keepDim) or [size], the flattened tensor
    onnx: (v, a) => {
      const x = v.x!;
      const flat = a.dim === undefined;
      const shape = !flat ? x.shape : a.keepDim ? [...x.shape.slice(1).map(() => 1), x.data.length] : [x.data.length];
      const axis = !flat ? a.dim : shape.length - 1;
      return {
        node: { opType: 'ArgMax', opset: 13, inputs: [{ name: 'x', shape }], outputs: ['y'], outputTypes: { y: 'int64' }, attrs: { axis, keepdims: a.keepDim ? 1 : 0, select_last_index: 0 } },
        feeds: { x: x.data },
      };
    },
  },
  adam: {
    // one parameter after several Adam/AdamW steps with the given gradients (g1, g2, g3)
    inputs: ['param', 'g1', 'g2', 'g3'],
    run: (hc, t, a) => {
      // a non-tensor param (fuzzing) meets the optimizer's own validation
      if (!(t.param instanceof hc.Tensor)) new hc.optim.Adam([t.param as never]);
      // a fresh leaf copied on the device (no synchronous read: async backends have none)
      const p = hc.noGrad(() => hc.mul(t.param!, 1));
      p.requiresGrad = true;
      let opt: InstanceType<typeof hc.optim.Adam> | undefined;
      try {
        opt = a.decoupled ? new hc.optim.AdamW([p], a.options) : new hc.optim.Adam([p], a.options);
        for (const g of [t.g1!, t.g2!, t.g3!]) {
          if (!g) continue; // an absent gradient: the step skips the parameter (the reference skips it too)
          p.grad = g; // the inputs are the caller's; the optimizer only reads its gradient
          opt.step();
          p.grad = null;
        }
      } catch (err) {
        p.grad = null;
        p.dispose();
        throw err;
      } finally {
        opt?.dispose();
      }
      return [p];
    },
    reference: (v, a) => {
      const y = R.adamSteps(v.param!, [v.g1, v.g2, v.g3].filter((g): g is F64 => g !== undefined), { lr: 1e-3, ...a.options, decoupled: a.decoupled });
      // magnitude: |p| plus the largest possible move, lr per step (|m̂/√v̂| ≤ ~1)
      return [{ ...y, magnitude: R.f64(y.shape, Array.from(v.param!.data, (x) => Math.abs(x) + 3 * (a.options?.lr ?? 1e-3))) }];
    },
    onnx: () => 'an optimizer step; ONNX training ops are not in the oracle',
  },
  linear: {
    inputs: ['x', 'w', 'b'],
    run: (hc, t) => [hc.linear(t.x!, t.w!, t.b)],
    reference: (v) => [withAbs(R.linear, v.x, v.w, v.b)],
    onnx: (v) => ({
      node: { opType: 'Gemm', inputs: [inp('x', v.x), inp('w', v.w), ...(v.b ? [inp('b', v.b)] : [])], outputs: ['y'], attrs: { transB: 1 } },
      feeds: feeds(v),
    }),
    differentiable: ['x', 'w', 'b'],
  },
  softmax: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.softmax(t.x!, a.dim ?? -1)],
    reference: (v, a) => [R.softmax(v.x!, a.dim ?? -1)],
    onnx: (v, a) => ({ node: { opType: 'Softmax', inputs: [inp('x', v.x)], outputs: ['y'], attrs: { axis: a.dim ?? -1 } }, feeds: feeds(v) }),
    differentiable: ['x'],
  },
  logSoftmax: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.logSoftmax(t.x!, a.dim ?? -1)],
    reference: (v, a) => [R.logSoftmax(v.x!, a.dim ?? -1)],
    onnx: (v, a) => ({ node: { opType: 'LogSoftmax', inputs: [inp('x', v.x)], outputs: ['y'], attrs: { axis: a.dim ?? -1 } }, feeds: feeds(v) }),
    differentiable: ['x'],
  },
  crossEntropy: {
    inputs: ['logits', 'labels'],
    plainInputs: ['labels'],
    run: (hc, t, _a, p) => [hc.crossEntropy(t.logits!, p.labels)],
    reference: (v) => [R.crossEntropy(v.logits!, v.labels!.data)],
    onnx: (v) => ({
      node: {
        opType: 'SoftmaxCrossEntropyLoss',
        inputs: [inp('logits', v.logits), { name: 'labels', shape: v.labels!.shape, dtype: 'int64' }],
        outputs: ['loss'],
        attrs: { reduction: 'mean' },
      },
      feeds: feeds(v),
    }),
    differentiable: ['logits'],
  },
  convToMatrix: {
    inputs: ['w'],
    run: (hc, t, a) => [hc.convToMatrix(t.w!, a.inputShape, a.options ?? {})],
    reference: (v, a) => {
      const w = v.w!;
      if (w.shape.length === 3) {
        const o = a.options ?? {};
        const p = o.padding;
        const pad2 = p === undefined || p === 'same' || p === 'valid' ? p : typeof p === 'number' ? [0, 0, p, p] : p.length === 1 ? [0, 0, p[0], p[0]] : [0, 0, p[0], p[1]];
        const w4 = { shape: [w.shape[0], w.shape[1], 1, w.shape[2]], data: w.data };
        const opts = { stride: [1, o.stride ?? 1], dilation: [1, o.dilation ?? 1], groups: o.groups, mode: o.mode, padding: pad2 };
        const inShape = a.inputShape.slice(-2);
        return [withAbs(R.convToMatrix, w4, [inShape[0], 1, inShape[1]], opts)];
      }
      return [withAbs(R.convToMatrix, w, a.inputShape, a.options ?? {})];
    },
    onnx: () => 'a teaching transform (dense Toeplitz matrix); ONNX has no such op',
  },
  fuseConvBatchNorm: {
    // Without x: the parameter transform hc.fuseConvBatchNormParams (outputs W', b').
    // With x (a.module): the module transform hc.fuseConvBatchNorm(conv, bn) on a Conv2d and an eval
    // BatchNorm2d built from these values; outputs the fused conv's output and the unfused
    // conv → BN(eval) pair's output, both against the float64 unfused pair.
    inputs: ['x', 'w', 'b', 'runningMean', 'runningVar', 'gamma', 'beta'],
    run: (hc, t, a) => {
      if (!t.x) {
        const r = hc.fuseConvBatchNormParams({ weight: t.w!, bias: t.b }, { runningMean: t.runningMean!, runningVar: t.runningVar!, weight: t.gamma, bias: t.beta, eps: a.eps });
        return [r.weight, r.bias];
      }
      // a non-tensor w (fuzzing) reaches the library's own validation through the NaN sizes
      const [O, Cg, kh, kw] = (t.w?.shape ?? []) as number[];
      const conv = new hc.nn.Conv2d(Cg * (a.conv?.groups ?? 1), O, [kh, kw], { ...a.conv, bias: !!t.b });
      let bn: InstanceType<typeof hc.nn.BatchNorm2d> | undefined;
      let fused: InstanceType<typeof hc.nn.Conv2d> | undefined;
      try {
        bn = new hc.nn.BatchNorm2d(O, { eps: a.eps ?? 1e-5, affine: !!t.gamma });
        conv.loadStateDict({ weight: t.w!, ...(t.b ? { bias: t.b } : {}) });
        bn!.loadStateDict({ runningMean: t.runningMean!, runningVar: t.runningVar!, ...(t.gamma ? { weight: t.gamma, bias: t.beta! } : {}) });
        bn!.eval();
        fused = hc.fuseConvBatchNorm(conv, bn!);
        // the scope frees the unfused conv's intermediate output
        return hc.noGrad(() => hc.scope(() => [fused!.forward(t.x!), bn!.forward(conv.forward(t.x!))]));
      } finally {
        conv.dispose();
        bn?.dispose();
        fused?.dispose();
      }
    },
    reference: (v, a) => {
      if (v.x) {
        // the unfused pair from the definitions: BN_eval(conv(x)); magnitude: the fused conv's terms
        // conv(|x|, |γ|·|W|/σ) + |γ|(|b| + |μ|)/σ + |β| (what float32 rounding acts on, fused or not)
        // run() builds an affine BatchNorm2d only with gamma: beta alone is not applied
        const y = R.batchNorm(R.conv2d(v.x, v.w!, v.b, a.conv ?? {}), v.runningMean!, v.runningVar!, v.gamma, v.gamma && v.beta, { eps: a.eps ?? 1e-5 }).y;
        const abs = fusedMagnitude(v, a);
        const m = R.conv2d(R.absOf(v.x), abs.w, abs.b, a.conv ?? {});
        return [{ ...y, magnitude: m }, { ...y, magnitude: m }];
      }
      const r = R.fuseConvBatchNorm(v.w!, v.b, v.runningMean!, v.runningVar!, v.gamma, v.beta, a.eps ?? 1e-5);
      const abs = fusedMagnitude(v, a);
      return [{ ...r.w, magnitude: abs.w }, { ...r.b, magnitude: abs.b }];
    },
    onnx: () => 'a parameter transform; ONNX has no such op',
  },
  flatten: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.flatten(t.x!, a.startDim ?? 1, a.endDim ?? -1)],
    reference: (v, a) => [exactMag(R.flatten(v.x!, a.startDim ?? 1, a.endDim ?? -1))],
    // ONNX Flatten(axis) always makes [prod(before axis), prod(rest)]: torch.flatten(x, 1, −1) (nn.Flatten's default) exactly
    onnx: (v, a) => {
      const rank = v.x!.shape.length;
      const [start, end] = [a.startDim ?? 1, a.endDim ?? -1].map((d: number) => (d < 0 ? d + rank : d));
      if (start !== 1 || end !== rank - 1) return 'torch.flatten(startDim, endDim) other than (1, −1) has no single ONNX equivalent (ONNX Flatten always makes 2-d)';
      return { node: { opType: 'Flatten', inputs: [inp('x', v.x)], outputs: ['y'], attrs: { axis: 1 } }, feeds: feeds(v) };
    },
    differentiable: ['x'],
  },
  ...TRAINING_OPS,
};

/** Loss for backward cases: L = Σ y ⊙ r (float64). */
export function weightedSum(y: F64, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.data.length; i++) s += y.data[i] * r[i];
  return s;
}
