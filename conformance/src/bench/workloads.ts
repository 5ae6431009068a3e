/**
 * The fixed benchmark workload list (DESIGN §4) and its FLOP / byte accounting.
 *
 * Every workload is one kernel on fixed shapes. Compute-bound workloads (convolutions and their
 * backward passes) are reported in GFLOP/s with the convention `2·N·O·OH·OW·(C/g)·kh·kw` (a
 * multiply-add counts 2; bias and padding are ignored); the two backward kernels of a convolution
 * count the same FLOPs as its forward pass. Memory-bound workloads (pools, norms) are reported in
 * GB/s of compulsory traffic: every float32 input read once plus every output written once
 * (4 bytes each; per-channel parameters included), however many passes the kernel makes.
 */

export type ConvPass = 'forward' | 'backpropInput' | 'backpropFilter';
export type NormKind = 'batchNorm' | 'instanceNorm' | 'groupNorm' | 'layerNorm';

export interface ConvSpec {
  type: 'conv';
  /** 1 for conv1d (x [N, C, L], w [O, C/g, k]); 2 for conv2d. */
  dims: 1 | 2;
  /** conv2d: [N, C, H, W]; conv1d: [N, C, L]. */
  x: number[];
  /** conv2d: [O, C/g, kh, kw]; conv1d: [O, C/g, k]. */
  w: number[];
  stride: number;
  /** Symmetric padding on every spatial side. */
  pad: number;
  groups: number;
  pass: ConvPass;
}

export interface PoolSpec {
  type: 'maxPool2d' | 'avgPool2d';
  x: [number, number, number, number];
  kernel: number;
  stride: number;
  pad: number;
}

export interface GlobalPoolSpec {
  type: 'globalAvgPool';
  x: [number, number, number, number];
}

export interface NormSpec {
  type: 'norm';
  norm: NormKind;
  x: [number, number, number, number];
  /** groupNorm only. */
  groups?: number;
  /**
   * forward: batchNorm in eval mode (running statistics, what inference runs); instance, group and
   * layer norm compute their statistics (they have no eval mode). backward: the backward kernel
   * (batch norm with batch statistics, i.e. training).
   */
  pass: 'forward' | 'backward';
}

/**
 * One training step of LeNet-5 (apps/train-mnist's 'lenet': conv 1→6 5×5 p2, ReLU, maxpool 2, conv 6→16
 * 5×5, ReLU, maxpool 2, fc 400→120→84→10 with ReLUs), cross-entropy, SGD lr 0.05 momentum 0.9: forward,
 * backward, update, and the loss read back. Reported in images/s.
 */
export interface TrainSpec {
  type: 'train';
  model: 'lenet';
  /** Images per step (28×28, one channel). */
  batch: number;
}

export type WorkloadSpec = ConvSpec | PoolSpec | GlobalPoolSpec | NormSpec | TrainSpec;

export interface Workload {
  /** Unique name, e.g. "conv2d A", "conv2d A ∂x", "maxPool2d 3×3 s2 p1". */
  id: string;
  /** Public op or backward kernel timed ("conv2d", "conv2dBackpropFilter", "groupNorm", …). */
  op: string;
  /** Shapes and attributes in words. */
  description: string;
  kind: 'compute' | 'memory' | 'train';
  /** Part of the quick list. */
  quick: boolean;
  spec: WorkloadSpec;
  /** Floating-point operations of one run (compute-bound workloads). */
  flops?: number;
  /** Bytes read + written by one run (memory-bound workloads). */
  bytes?: number;
  /** Images one run trains on (training workloads). */
  images?: number;
}

/** Elements of a shape. */
export const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Output size of a convolution / pool window: floor((x + 2p − k)/s) + 1 (dilation 1). */
export function outSize(inSize: number, kernel: number, stride: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - kernel) / stride) + 1;
}

/** Output shape of a conv spec ([N, O, OH, OW] or [N, O, OL]). */
export function convOutShape(s: ConvSpec): number[] {
  const [n, , ...spatial] = s.x as [number, number, ...number[]];
  const kernel = s.w.slice(2);
  return [n, s.w[0]!, ...spatial.map((d, i) => outSize(d, kernel[i]!, s.stride, s.pad))];
}

/** 2·N·O·OH·OW·(C/g)·kh·kw (conv1d: 2·N·O·OL·(C/g)·k). Same count for both backward kernels. */
export function convFlops(s: ConvSpec): number {
  const y = convOutShape(s);
  // y = [N, O, ...out spatial]; w = [O, C/g, ...kernel]
  return 2 * prod(y) * prod(s.w.slice(1));
}

export function poolOutShape(s: PoolSpec): [number, number, number, number] {
  const [n, c, h, w] = s.x;
  return [n, c, outSize(h, s.kernel, s.stride, s.pad), outSize(w, s.kernel, s.stride, s.pad)];
}

/** Parameter elements a norm reads (forward) or produces (backward), beyond x / y. */
function normParamElements(s: NormSpec): number {
  const [, c, h, w] = s.x;
  switch (s.norm) {
    // forward (eval): mean, var, scale, offset; backward (training): mean, var, scale in, dscale, doffset out
    case 'batchNorm':
      return s.pass === 'forward' ? 4 * c : 5 * c;
    // affine weight and bias per channel (backward: weight in, dweight + dbias out, statistics in)
    case 'instanceNorm':
    case 'groupNorm':
      return s.pass === 'forward' ? 2 * c : 3 * c;
    // elementwise affine over [C, H, W]
    case 'layerNorm':
      return s.pass === 'forward' ? 2 * c * h * w : 3 * c * h * w;
  }
}

/** Compulsory bytes of a memory-bound workload: inputs read once + outputs written once, float32. */
export function workloadBytes(spec: WorkloadSpec): number {
  switch (spec.type) {
    case 'maxPool2d':
    case 'avgPool2d':
      return 4 * (prod(spec.x) + prod(poolOutShape(spec)));
    case 'globalAvgPool':
      return 4 * (prod(spec.x) + spec.x[0] * spec.x[1]);
    case 'norm': {
      const tensors = spec.pass === 'forward' ? 2 : 3; // x → y; or dy, x → dx
      return 4 * (tensors * prod(spec.x) + normParamElements(spec));
    }
    case 'conv':
      throw new Error('workloadBytes: convolutions are reported in FLOP/s');
    case 'train':
      throw new Error('workloadBytes: training steps are reported in images/s');
  }
}

const conv = (
  id: string,
  description: string,
  x: number[],
  w: number[],
  stride: number,
  pad: number,
  pass: ConvPass,
  quick: boolean,
): Workload => {
  const spec: ConvSpec = { type: 'conv', dims: x.length === 3 ? 1 : 2, x, w, stride, pad, groups: 1, pass };
  const op = spec.dims === 1 ? 'conv1d' : pass === 'forward' ? 'conv2d' : pass === 'backpropInput' ? 'conv2dBackpropInput' : 'conv2dBackpropFilter';
  return { id, op, description, kind: 'compute', quick, spec, flops: convFlops(spec) };
};

const memory = (id: string, op: string, description: string, spec: WorkloadSpec, quick: boolean): Workload => ({
  id, op, description, kind: 'memory', quick, spec, bytes: workloadBytes(spec),
});

const NORM_X: [number, number, number, number] = [8, 64, 56, 56];
const norm = (n: NormKind, pass: 'forward' | 'backward', quick: boolean): Workload => {
  const spec: NormSpec = { type: 'norm', norm: n, x: NORM_X, pass, ...(n === 'groupNorm' ? { groups: 32 } : {}) };
  const what = n === 'groupNorm' ? 'groupNorm(32)' : n === 'layerNorm' ? 'layerNorm over [C,H,W]' : n === 'batchNorm' && pass === 'forward' ? 'batchNorm (eval)' : n === 'batchNorm' ? 'batchNorm (training)' : n;
  return memory(pass === 'forward' ? n : `${n} backward`, pass === 'forward' ? n : `${n}Backward`, `${what} 8×64×56²`, spec, quick);
};

/** DESIGN §4's fixed list, in report order. */
export const WORKLOADS: readonly Workload[] = [
  conv('conv2d A', '1×64×56² 3×3 p1 →64', [1, 64, 56, 56], [64, 64, 3, 3], 1, 1, 'forward', true),
  conv('conv2d B', '8×3×224² 7×7 s2 p3 →64', [8, 3, 224, 224], [64, 3, 7, 7], 2, 3, 'forward', false),
  conv('conv2d C', '1×256×14² 3×3 p1 →256', [1, 256, 14, 14], [256, 256, 3, 3], 1, 1, 'forward', false),
  conv('conv2d D', '1×256×56² 1×1 →64', [1, 256, 56, 56], [64, 256, 1, 1], 1, 0, 'forward', false),
  conv('conv2d E', '64×1×28² 5×5 p2 →6 (LeNet)', [64, 1, 28, 28], [6, 1, 5, 5], 1, 2, 'forward', true),
  conv('conv1d', '8×64×1024 k9 p4 →64', [8, 64, 1024], [64, 64, 9], 1, 4, 'forward', false),
  memory('maxPool2d 2×2 s2', 'maxPool2d', '8×64×112² 2×2 s2', { type: 'maxPool2d', x: [8, 64, 112, 112], kernel: 2, stride: 2, pad: 0 }, true),
  memory('maxPool2d 3×3 s2 p1', 'maxPool2d', '8×64×112² 3×3 s2 p1', { type: 'maxPool2d', x: [8, 64, 112, 112], kernel: 3, stride: 2, pad: 1 }, false),
  memory('avgPool2d 2×2 s2', 'avgPool2d', '8×64×112² 2×2 s2', { type: 'avgPool2d', x: [8, 64, 112, 112], kernel: 2, stride: 2, pad: 0 }, false),
  memory('globalAvgPool 8×512×7²', 'globalAvgPool2d', '8×512×7² → 8×512×1×1', { type: 'globalAvgPool', x: [8, 512, 7, 7] }, true),
  memory('globalAvgPool 8×64×56²', 'globalAvgPool2d', '8×64×56² → 8×64×1×1', { type: 'globalAvgPool', x: [8, 64, 56, 56] }, false),
  norm('batchNorm', 'forward', true),
  norm('instanceNorm', 'forward', false),
  norm('groupNorm', 'forward', false),
  norm('layerNorm', 'forward', true),
  conv('conv2d A ∂x', 'backward of conv2d A: input gradient', [1, 64, 56, 56], [64, 64, 3, 3], 1, 1, 'backpropInput', false),
  conv('conv2d A ∂w', 'backward of conv2d A: filter gradient', [1, 64, 56, 56], [64, 64, 3, 3], 1, 1, 'backpropFilter', false),
  conv('conv2d E ∂x', 'backward of conv2d E: input gradient', [64, 1, 28, 28], [6, 1, 5, 5], 1, 2, 'backpropInput', true),
  conv('conv2d E ∂w', 'backward of conv2d E: filter gradient', [64, 1, 28, 28], [6, 1, 5, 5], 1, 2, 'backpropFilter', false),
  norm('batchNorm', 'backward', false),
  norm('instanceNorm', 'backward', false),
  norm('groupNorm', 'backward', false),
  norm('layerNorm', 'backward', false),
  {
    id: 'LeNet-5 training step',
    op: 'lenetTrainingStep',
    description: 'LeNet-5, batch 64, SGD lr 0.05 momentum 0.9: forward, backward, update, loss read back',
    kind: 'train',
    quick: true,
    spec: { type: 'train', model: 'lenet', batch: 64 },
    images: 64,
  },
];

/** The workloads of a mode: `quick` is a short subset (seconds), `full` the whole list. */
export function selectWorkloads(mode: 'quick' | 'full', filter?: { ops?: string[]; ids?: string[] }): Workload[] {
  let list = WORKLOADS.filter((w) => mode === 'full' || w.quick);
  if (filter?.ops?.length) list = list.filter((w) => filter.ops!.some((o) => w.op === o || w.op.startsWith(o)));
  if (filter?.ids?.length) list = list.filter((w) => filter.ids!.includes(w.id));
  return list;
}
