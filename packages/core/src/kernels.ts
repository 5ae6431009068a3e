/**
 * The kernel contract: every kernel any backend may implement, with its inputs, attributes and
 * outputs. Core validates arguments, infers shapes and resolves padding before a kernel runs, so a
 * kernel receives already-checked inputs, fully resolved attributes (a geometry record with every
 * size it needs) and the shape of every output, and returns one fresh data handle per output.
 * Kernels *enqueue* work: they may finish later (WebGPU, worker threads), so nothing here ever reads
 * a value back. Inputs are read-only. Zero-element tensors never reach a kernel.
 *
 * A backend implements any subset. A missing kernel resolves to a composition defined once in core
 * from kernels the backend does have (`composites.ts`), then to cpu (only for a backend with
 * `readSync`). Fused kernels below are optional by design: their compositions always exist.
 *
 * Layout is NCHW, conv weights OIHW, storage float32. "Spatial" means every axis after the channel
 * axis (conv1d and the 1-d pools reach the 2-d kernels with H = 1).
 */

/** An input tensor as a kernel sees it: the backend's data handle and its shape. */
export interface TensorInfo<D = unknown> {
  readonly data: D;
  readonly shape: readonly number[];
}

/**
 * A 2-d sliding window, fully resolved. Output (oh, ow) reads input rows
 * `oh * strideHeight - padTop + i * dilationHeight` for i in [0, kernelHeight), likewise columns;
 * positions outside the input are padding.
 */
export interface Window2dGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  kernelHeight: number;
  kernelWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  outHeight: number;
  outWidth: number;
}

/** 2-d convolution geometry (cross-correlation; core flips weights for true convolution). */
export interface Conv2dGeometry extends Window2dGeometry {
  inChannels: number;
  outChannels: number;
  groups: number;
  /** x: [batch, inChannels, inHeight, inWidth] */
  xShape: [number, number, number, number];
  /** w: [outChannels, inChannels / groups, kernelHeight, kernelWidth] */
  wShape: [number, number, number, number];
  /** y: [batch, outChannels, outHeight, outWidth] */
  yShape: [number, number, number, number];
}

/**
 * 2-d pooling geometry. Padding is ignored by max pooling and counted by average pooling only when
 * `countIncludePad` (and then only up to the padded extent, PyTorch's divisor rule).
 */
export interface Pool2dGeometry extends Window2dGeometry {
  channels: number;
  xShape: [number, number, number, number];
  yShape: [number, number, number, number];
}

/** `[outer, axisSize, inner]`: the tensor seen as 3-d around the softmax axis. */
export interface AxisAttrs {
  outer: number;
  axisSize: number;
  inner: number;
}

/** Marker types for the contract below: a required or optional tensor input. */
declare const inputBrand: unique symbol;
export interface In {
  readonly [inputBrand]: true;
}

interface Def<I, A, O extends readonly string[]> {
  inputs: I;
  attrs: A;
  outputs: O;
}
type Nothing = Record<string, never>;
type BinaryAttrs = { outShape: number[] };
/** A scalar operand as an attribute (no upload): `y = op(x, value)` elementwise. */
type ScalarAttrs = { value: number };
/** Activation fused after a kernel. */
export type FusedActivation = 'none' | 'relu';

/** SGD-with-momentum hyper-parameters (PyTorch `torch.optim.SGD` update rule). */
export interface SgdAttrs {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** Adam/AdamW hyper-parameters (PyTorch `torch.optim.Adam` / `AdamW`); `step` counts from 1. */
export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decoupled weight decay `p ← p − lr·wd·p`; Adam: `g ← g + wd·p`. */
  decoupled: boolean;
  step: number;
}

/**
 * Every kernel by name. Backward kernels sit beside their forward kernel; ops whose gradient core
 * composes from other kernels (elementwise, reductions, reshapes) have no backward entry.
 * Output shapes are passed to the kernel (see `KernelOutputShapes`); where an output is a statistic its
 * shape is written here.
 */
export interface KernelContract {
  // convolution
  conv2d: Def<{ x: In; w: In; b?: In }, { geometry: Conv2dGeometry }, ['y']>;
  conv2dBackpropInput: Def<{ dy: In; w: In }, { geometry: Conv2dGeometry }, ['dx']>;
  conv2dBackpropFilter: Def<{ x: In; dy: In }, { geometry: Conv2dGeometry }, ['dw']>;
  /** Reverses the last two axes (true convolution = correlation with the flipped kernel). */
  reverseSpatial: Def<{ x: In }, Nothing, ['y']>;
  /** Fused: conv2d + bias + activation (composition: conv2d then relu). */
  conv2dFused: Def<{ x: In; w: In; b?: In }, { geometry: Conv2dGeometry; activation: FusedActivation }, ['y']>;

  // pooling
  maxPool2d: Def<{ x: In }, { geometry: Pool2dGeometry }, ['y']>;
  maxPool2dBackward: Def<{ dy: In; x: In }, { geometry: Pool2dGeometry }, ['dx']>;
  avgPool2d: Def<{ x: In }, { geometry: Pool2dGeometry; countIncludePad: boolean }, ['y']>;
  avgPool2dBackward: Def<{ dy: In }, { geometry: Pool2dGeometry; countIncludePad: boolean }, ['dx']>;
  /** [N, C, ...spatial] → [N, C, 1, 1] (or [N, C, 1] for rank 3). */
  globalAvgPool: Def<{ x: In }, Nothing, ['y']>;

  // normalization: x is [N, C, ...spatial]; mean/variance outputs are biased statistics, computed in
  // two passes (or Welford), never E[x²] − E[x]².
  batchNormInference: Def<
    { x: In; mean: In; variance: In; scale?: In; offset?: In },
    { eps: number },
    ['y']
  >;
  /** Fused: batch norm inference + activation (composition: batchNormInference then relu). */
  batchNormInferenceFused: Def<
    { x: In; mean: In; variance: In; scale?: In; offset?: In },
    { eps: number; activation: FusedActivation },
    ['y']
  >;
  /** mean, variance: [C]. */
  batchNormTraining: Def<{ x: In; scale?: In; offset?: In }, { eps: number }, ['y', 'mean', 'variance']>;
  /** dscale, doffset: [C] (computed even when scale/offset are absent). */
  batchNormBackward: Def<
    { dy: In; x: In; mean: In; variance: In; scale?: In },
    { eps: number },
    ['dx', 'dscale', 'doffset']
  >;
  /**
   * Normalizes each contiguous row of `rowSize` elements; weight/bias have `rowSize` elements.
   * mean, variance: [x.size / rowSize].
   */
  layerNorm: Def<{ x: In; weight?: In; bias?: In }, { rowSize: number; eps: number }, ['y', 'mean', 'variance']>;
  /** dweight, dbias: [rowSize]. */
  layerNormBackward: Def<
    { dy: In; x: In; mean: In; variance: In; weight?: In },
    { rowSize: number; eps: number },
    ['dx', 'dweight', 'dbias']
  >;
  /**
   * Statistics per (n, group of C/numGroups channels); affine per channel. InstanceNorm is
   * numGroups = C. mean, variance: [N, numGroups].
   */
  groupNorm: Def<{ x: In; weight?: In; bias?: In }, { numGroups: number; eps: number }, ['y', 'mean', 'variance']>;
  /** dweight, dbias: [C]. */
  groupNormBackward: Def<
    { dy: In; x: In; mean: In; variance: In; weight?: In },
    { numGroups: number; eps: number },
    ['dx', 'dweight', 'dbias']
  >;
  /**
   * FRN: nu2 = mean(x²) over spatial per (n, c); y = weight·x/sqrt(nu2 + |eps|) + bias.
   * eps is a [1] tensor (it may be learnable). nu2: [N, C].
   */
  frn: Def<{ x: In; eps: In; weight?: In; bias?: In }, Nothing, ['y', 'nu2']>;
  /** dweight, dbias: [C]; deps: [1]. */
  frnBackward: Def<
    { dy: In; x: In; nu2: In; eps: In; weight?: In },
    Nothing,
    ['dx', 'dweight', 'dbias', 'deps']
  >;
  /** Fused inference: FRN then TLU, y = max(frn(x), tau[c]) (composition: frn then tlu). */
  frnTlu: Def<{ x: In; eps: In; tau: In; weight?: In; bias?: In }, Nothing, ['y']>;
  /** TLU: max(x, tau[c]). */
  tlu: Def<{ x: In; tau: In }, Nothing, ['y']>;
  /** dtau: [C]. Ties (x == tau) send the gradient to tau. */
  tluBackward: Def<{ dy: In; x: In; tau: In }, Nothing, ['dx', 'dtau']>;

  // activations, dense layers, classification
  relu: Def<{ x: In }, Nothing, ['y']>;
  /** dx = dy where x > 0, else 0 (PyTorch: zero gradient at 0). */
  reluBackward: Def<{ dy: In; x: In }, Nothing, ['dx']>;
  sigmoid: Def<{ x: In }, Nothing, ['y']>;
  tanh: Def<{ x: In }, Nothing, ['y']>;
  /** y[N, out] = x[N, in] · wᵀ + b. */
  linear: Def<{ x: In; w: In; b?: In }, Nothing, ['y']>;
  /** 2-d matrix product with optional transposes: op(a)[M,K] · op(b)[K,N]. */
  matMul: Def<{ a: In; b: In }, { transposeA: boolean; transposeB: boolean }, ['y']>;
  softmax: Def<{ x: In }, AxisAttrs, ['y']>;
  softmaxBackward: Def<{ dy: In; y: In }, AxisAttrs, ['dx']>;
  logSoftmax: Def<{ x: In }, AxisAttrs, ['y']>;
  logSoftmaxBackward: Def<{ dy: In; y: In }, AxisAttrs, ['dx']>;
  /**
   * Mean over N of −log softmax(logits)[label]; loss shape []. labels: [N] float32 holding integer
   * class indices in [0, K). Core checks them where the backend reads synchronously; a kernel still
   * never indexes with an invalid label (outside [0, K), fractional or NaN): that row's loss is NaN
   * (so the mean is NaN) and its dlogits row is NaN — never another row's logits, never out of bounds
   * (a backend that reads the values anyway may raise a HypercolumnError naming them instead).
   */
  softmaxCrossEntropy: Def<{ logits: In; labels: In }, Nothing, ['loss']>;
  /** dlogits = (softmax(logits) − onehot(labels)) · dy / N, dy of shape []. */
  softmaxCrossEntropyBackward: Def<{ logits: In; labels: In; dy: In }, Nothing, ['dlogits']>;
  /** Index of the largest value along the axis (first one on ties; NaN counts as largest), as float32. */
  argmax: Def<{ x: In }, AxisAttrs, ['y']>;

  // elementwise with NumPy broadcasting (core computes outShape)
  add: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  sub: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  mul: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  div: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  maximum: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  minimum: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  /** Scalar operands as attributes (composition: a one-element constant and the binary kernel). */
  addScalar: Def<{ x: In }, ScalarAttrs, ['y']>;
  mulScalar: Def<{ x: In }, ScalarAttrs, ['y']>;
  /** value / x. */
  rdivScalar: Def<{ x: In }, ScalarAttrs, ['y']>;
  maximumScalar: Def<{ x: In }, ScalarAttrs, ['y']>;
  minimumScalar: Def<{ x: In }, ScalarAttrs, ['y']>;
  /**
   * y = alpha·a + beta·b, a and b of the same shape (running statistics, interpolation; composition:
   * two mulScalar and an add).
   */
  scaledAdd: Def<{ a: In; b: In }, { alpha: number; beta: number }, ['y']>;
  neg: Def<{ x: In }, Nothing, ['y']>;
  sqrt: Def<{ x: In }, Nothing, ['y']>;
  abs: Def<{ x: In }, Nothing, ['y']>;
  exp: Def<{ x: In }, Nothing, ['y']>;
  log: Def<{ x: In }, Nothing, ['y']>;
  /** A new tensor of the output shape filled with `value` (no inputs; no upload). */
  fill: Def<Nothing, ScalarAttrs, ['y']>;
  /** Sum over `axes` (sorted, unique); outShape keeps reduced axes as 1. */
  sum: Def<{ x: In }, { axes: number[]; outShape: number[] }, ['y']>;
  /** NumPy broadcast of x to `shape` (x's rank ≤ shape's rank, aligned right). */
  broadcastTo: Def<{ x: In }, { shape: number[] }, ['y']>;
  /** Axis permutation: y.shape[i] = x.shape[perm[i]]. */
  transpose: Def<{ x: In }, { perm: number[] }, ['y']>;
  /**
   * Joins a and b along `axis`, seen as 3-d: a is [outer, aSize, inner], b is [outer, bSize, inner],
   * y is [outer, aSize + bSize, inner] (`axis` only names which axis of the real shapes that is).
   */
  concat: Def<{ a: In; b: In }, { axis: number; outer: number; aSize: number; bSize: number; inner: number }, ['y']>;
  /** y = x[outer, begin : begin + size, inner] of x seen as [outer, axisSize, inner] around `axis`. */
  slice: Def<{ x: In }, { axis: number; outer: number; axisSize: number; inner: number; begin: number; size: number }, ['y']>;

  // optimizer steps (fused; each has a composition in core). Outputs are fresh handles: core swaps
  // them into the parameter and state tensors.
  /** One SGD step without momentum: p ← p − lr·(g + weightDecay·p). */
  sgdStep: Def<{ param: In; grad: In }, { lr: number; weightDecay: number }, ['param']>;
  /**
   * One SGD step with momentum (PyTorch rule). momentumBuffer is absent on the first step, where the
   * new buffer is the (weight-decayed) gradient itself.
   */
  sgdMomentumStep: Def<{ param: In; grad: In; momentumBuffer?: In }, SgdAttrs, ['param', 'momentumBuffer']>;
  /** One Adam/AdamW step on param with moments m, v. */
  adamStep: Def<{ param: In; grad: In; m: In; v: In }, AdamAttrs, ['param', 'm', 'v']>;
  /**
   * AGC unit clip (Brock et al. 2021), on param/grad seen as [units, unitSize]:
   * maxNorm = clipping·max(‖W_u‖, eps); where ‖G_u‖ > maxNorm, G_u ← G_u·maxNorm/max(‖G_u‖, 1e-6).
   */
  agcUnitClip: Def<{ param: In; grad: In }, { units: number; unitSize: number; clipping: number; eps: number }, ['grad']>;
}

export type KernelName = keyof KernelContract;

type InputsOf<K extends KernelName> = KernelContract[K]['inputs'];
export type KernelAttrs<K extends KernelName> = KernelContract[K]['attrs'];
/** Kernel inputs as the backend sees them (optional inputs stay optional). */
export type KernelInputs<K extends KernelName, D = unknown> = { [P in keyof InputsOf<K>]: TensorInfo<D> };
type OutputNames<K extends KernelName> = KernelContract[K]['outputs'];
/** The shape of every output, by output name, computed by core. */
export type KernelOutputShapes<K extends KernelName> = { readonly [P in OutputNames<K>[number]]: readonly number[] };
/** A single-output kernel returns one fresh handle; a multi-output kernel a tuple in the listed order. */
export type KernelOutputs<K extends KernelName, D = unknown> = OutputNames<K> extends readonly [string]
  ? D
  : HandleTuple<OutputNames<K>, D>;
type HandleTuple<T extends readonly string[], D> = { -readonly [P in keyof T]: D };

/** What the runtime knows about each kernel (capability lists, reports, docs). */
export interface KernelDescriptor {
  kind: 'forward' | 'backward' | 'elementwise' | 'fused' | 'optimizer';
  inputs: readonly string[];
  outputs: readonly string[];
}

const d = (kind: KernelDescriptor['kind'], inputs: string, outputs: string): KernelDescriptor => ({
  kind,
  inputs: inputs ? inputs.split(' ') : [],
  outputs: outputs.split(' '),
});

/** Runtime twin of `KernelContract` (the `satisfies` keeps both lists equal). */
export const KERNELS = {
  conv2d: d('forward', 'x w b?', 'y'),
  conv2dBackpropInput: d('backward', 'dy w', 'dx'),
  conv2dBackpropFilter: d('backward', 'x dy', 'dw'),
  reverseSpatial: d('elementwise', 'x', 'y'),
  conv2dFused: d('fused', 'x w b?', 'y'),
  maxPool2d: d('forward', 'x', 'y'),
  maxPool2dBackward: d('backward', 'dy x', 'dx'),
  avgPool2d: d('forward', 'x', 'y'),
  avgPool2dBackward: d('backward', 'dy', 'dx'),
  globalAvgPool: d('forward', 'x', 'y'),
  batchNormInference: d('forward', 'x mean variance scale? offset?', 'y'),
  batchNormInferenceFused: d('fused', 'x mean variance scale? offset?', 'y'),
  batchNormTraining: d('forward', 'x scale? offset?', 'y mean variance'),
  batchNormBackward: d('backward', 'dy x mean variance scale?', 'dx dscale doffset'),
  layerNorm: d('forward', 'x weight? bias?', 'y mean variance'),
  layerNormBackward: d('backward', 'dy x mean variance weight?', 'dx dweight dbias'),
  groupNorm: d('forward', 'x weight? bias?', 'y mean variance'),
  groupNormBackward: d('backward', 'dy x mean variance weight?', 'dx dweight dbias'),
  frn: d('forward', 'x eps weight? bias?', 'y nu2'),
  frnBackward: d('backward', 'dy x nu2 eps weight?', 'dx dweight dbias deps'),
  frnTlu: d('fused', 'x eps tau weight? bias?', 'y'),
  tlu: d('forward', 'x tau', 'y'),
  tluBackward: d('backward', 'dy x tau', 'dx dtau'),
  relu: d('forward', 'x', 'y'),
  reluBackward: d('backward', 'dy x', 'dx'),
  sigmoid: d('elementwise', 'x', 'y'),
  tanh: d('elementwise', 'x', 'y'),
  linear: d('forward', 'x w b?', 'y'),
  matMul: d('forward', 'a b', 'y'),
  softmax: d('forward', 'x', 'y'),
  softmaxBackward: d('backward', 'dy y', 'dx'),
  logSoftmax: d('forward', 'x', 'y'),
  logSoftmaxBackward: d('backward', 'dy y', 'dx'),
  softmaxCrossEntropy: d('forward', 'logits labels', 'loss'),
  softmaxCrossEntropyBackward: d('backward', 'logits labels dy', 'dlogits'),
  argmax: d('forward', 'x', 'y'),
  add: d('elementwise', 'a b', 'y'),
  sub: d('elementwise', 'a b', 'y'),
  mul: d('elementwise', 'a b', 'y'),
  div: d('elementwise', 'a b', 'y'),
  maximum: d('elementwise', 'a b', 'y'),
  minimum: d('elementwise', 'a b', 'y'),
  addScalar: d('elementwise', 'x', 'y'),
  mulScalar: d('elementwise', 'x', 'y'),
  rdivScalar: d('elementwise', 'x', 'y'),
  maximumScalar: d('elementwise', 'x', 'y'),
  minimumScalar: d('elementwise', 'x', 'y'),
  scaledAdd: d('elementwise', 'a b', 'y'),
  neg: d('elementwise', 'x', 'y'),
  sqrt: d('elementwise', 'x', 'y'),
  abs: d('elementwise', 'x', 'y'),
  exp: d('elementwise', 'x', 'y'),
  log: d('elementwise', 'x', 'y'),
  fill: d('elementwise', '', 'y'),
  sum: d('elementwise', 'x', 'y'),
  broadcastTo: d('elementwise', 'x', 'y'),
  transpose: d('elementwise', 'x', 'y'),
  concat: d('elementwise', 'a b', 'y'),
  slice: d('elementwise', 'x', 'y'),
  sgdStep: d('optimizer', 'param grad', 'param'),
  sgdMomentumStep: d('optimizer', 'param grad momentumBuffer?', 'param momentumBuffer'),
  adamStep: d('optimizer', 'param grad m v', 'param m v'),
  agcUnitClip: d('optimizer', 'param grad', 'grad'),
} satisfies Record<KernelName, KernelDescriptor>;

export const kernelNames = Object.keys(KERNELS) as KernelName[];
