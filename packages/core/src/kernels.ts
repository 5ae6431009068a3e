/**
 * The kernel contract: every kernel any backend may implement, with its inputs, attributes and
 * outputs. Core validates arguments, infers shapes and resolves padding before a kernel runs, so a
 * kernel receives already-checked inputs and fully resolved attributes (a geometry record with every
 * size it needs). A backend implements any subset; the rest fall back to cpu.
 *
 * Layout is NCHW, conv weights OIHW, storage float32. "Spatial" means every axis after the channel
 * axis (conv1d and the 1-d pools reach the 2-d kernels with H = 1).
 */

/** A tensor as a kernel sees it: the backend's data handle and its shape. */
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

/**
 * Every kernel by name. Backward kernels sit beside their forward kernel; ops whose gradient core
 * composes from other kernels (elementwise, reductions, reshapes) have no backward entry.
 */
export interface KernelContract {
  // convolution
  conv2d: Def<{ x: In; w: In; b?: In }, { geometry: Conv2dGeometry }, ['y']>;
  conv2dBackpropInput: Def<{ dy: In; w: In }, { geometry: Conv2dGeometry }, ['dx']>;
  conv2dBackpropFilter: Def<{ x: In; dy: In }, { geometry: Conv2dGeometry }, ['dw']>;
  /** Reverses the last two axes (true convolution = correlation with the flipped kernel). */
  reverseSpatial: Def<{ x: In }, Nothing, ['y']>;

  // pooling
  maxPool2d: Def<{ x: In }, { geometry: Pool2dGeometry }, ['y']>;
  maxPool2dBackward: Def<{ dy: In; x: In }, { geometry: Pool2dGeometry }, ['dx']>;
  avgPool2d: Def<{ x: In }, { geometry: Pool2dGeometry; countIncludePad: boolean }, ['y']>;
  avgPool2dBackward: Def<{ dy: In }, { geometry: Pool2dGeometry; countIncludePad: boolean }, ['dx']>;
  /** [N, C, ...spatial] → [N, C, 1, 1] (or [N, C, 1] for rank 3). */
  globalAvgPool: Def<{ x: In }, Nothing, ['y']>;

  // normalization: x is [N, C, ...spatial]; mean/variance outputs are biased statistics
  batchNormInference: Def<
    { x: In; mean: In; variance: In; scale?: In; offset?: In },
    { eps: number },
    ['y']
  >;
  batchNormTraining: Def<{ x: In; scale?: In; offset?: In }, { eps: number }, ['y', 'mean', 'variance']>;
  batchNormBackward: Def<
    { dy: In; x: In; mean: In; variance: In; scale?: In },
    { eps: number },
    ['dx', 'dscale', 'doffset']
  >;
  /** Normalizes each contiguous row of `rowSize` elements; weight/bias have `rowSize` elements. */
  layerNorm: Def<{ x: In; weight?: In; bias?: In }, { rowSize: number; eps: number }, ['y', 'mean', 'variance']>;
  layerNormBackward: Def<
    { dy: In; x: In; mean: In; variance: In; weight?: In },
    { rowSize: number; eps: number },
    ['dx', 'dweight', 'dbias']
  >;
  /** Statistics per (n, group of C/numGroups channels); affine per channel. InstanceNorm is numGroups = C. */
  groupNorm: Def<{ x: In; weight?: In; bias?: In }, { numGroups: number; eps: number }, ['y', 'mean', 'variance']>;
  groupNormBackward: Def<
    { dy: In; x: In; mean: In; variance: In; weight?: In },
    { numGroups: number; eps: number },
    ['dx', 'dweight', 'dbias']
  >;
  /** FRN: nu2 = mean(x²) over spatial per (n, c); y = weight·x/sqrt(nu2 + |eps|) + bias. eps is a [1] tensor. */
  frn: Def<{ x: In; eps: In; weight?: In; bias?: In }, Nothing, ['y', 'nu2']>;
  frnBackward: Def<
    { dy: In; x: In; nu2: In; eps: In; weight?: In },
    Nothing,
    ['dx', 'dweight', 'dbias', 'deps']
  >;
  /** TLU: max(x, tau[c]). */
  tlu: Def<{ x: In; tau: In }, Nothing, ['y']>;
  tluBackward: Def<{ dy: In; x: In; tau: In }, Nothing, ['dx', 'dtau']>;

  // activations, dense layers, classification
  relu: Def<{ x: In }, Nothing, ['y']>;
  /** dx = dy where x > 0, else 0 (PyTorch: zero gradient at 0). */
  reluBackward: Def<{ dy: In; x: In }, Nothing, ['dx']>;
  /** y[N, out] = x[N, in] · wᵀ + b. */
  linear: Def<{ x: In; w: In; b?: In }, Nothing, ['y']>;
  /** 2-d matrix product with optional transposes: op(a)[M,K] · op(b)[K,N]. */
  matMul: Def<{ a: In; b: In }, { transposeA: boolean; transposeB: boolean }, ['y']>;
  softmax: Def<{ x: In }, AxisAttrs, ['y']>;
  softmaxBackward: Def<{ dy: In; y: In }, AxisAttrs, ['dx']>;
  logSoftmax: Def<{ x: In }, AxisAttrs, ['y']>;
  logSoftmaxBackward: Def<{ dy: In; y: In }, AxisAttrs, ['dx']>;
  /** Mean over N of −log softmax(logits)[label]; output shape []. */
  softmaxCrossEntropy: Def<{ logits: In }, { labels: Int32Array }, ['loss']>;
  /** dlogits = (softmax(logits) − onehot(labels)) · dy / N, dy of shape []. */
  softmaxCrossEntropyBackward: Def<{ logits: In; dy: In }, { labels: Int32Array }, ['dlogits']>;

  // elementwise with NumPy broadcasting (core computes outShape)
  add: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  sub: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  mul: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  div: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  maximum: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  minimum: Def<{ a: In; b: In }, BinaryAttrs, ['y']>;
  neg: Def<{ x: In }, Nothing, ['y']>;
  sqrt: Def<{ x: In }, Nothing, ['y']>;
  abs: Def<{ x: In }, Nothing, ['y']>;
  exp: Def<{ x: In }, Nothing, ['y']>;
  log: Def<{ x: In }, Nothing, ['y']>;
  /** Sum over `axes` (sorted, unique); outShape keeps reduced axes as 1. */
  sum: Def<{ x: In }, { axes: number[]; outShape: number[] }, ['y']>;
  /** NumPy broadcast of x to `shape` (x's rank ≤ shape's rank, aligned right). */
  broadcastTo: Def<{ x: In }, { shape: number[] }, ['y']>;
}

export type KernelName = keyof KernelContract;

type InputsOf<K extends KernelName> = KernelContract[K]['inputs'];
export type KernelAttrs<K extends KernelName> = KernelContract[K]['attrs'];
/** Kernel inputs as the backend sees them (optional inputs stay optional). */
export type KernelInputs<K extends KernelName, D = unknown> = { [P in keyof InputsOf<K>]: TensorInfo<D> };
type OutputNames<K extends KernelName> = KernelContract[K]['outputs'];
/** A single-output kernel returns one TensorInfo; a multi-output kernel a tuple in the listed order. */
export type KernelOutputs<K extends KernelName, D = unknown> = OutputNames<K> extends readonly [string]
  ? TensorInfo<D>
  : TensorTuple<OutputNames<K>, D>;
type TensorTuple<T extends readonly string[], D> = { -readonly [P in keyof T]: TensorInfo<D> };

/** What the runtime knows about each kernel (capability lists, reports, docs). */
export interface KernelDescriptor {
  kind: 'forward' | 'backward' | 'elementwise';
  inputs: readonly string[];
  outputs: readonly string[];
}

const d = (kind: KernelDescriptor['kind'], inputs: string, outputs: string): KernelDescriptor => ({
  kind,
  inputs: inputs.split(' '),
  outputs: outputs.split(' '),
});

/** Runtime twin of `KernelContract` (the `satisfies` keeps both lists equal). */
export const KERNELS = {
  conv2d: d('forward', 'x w b?', 'y'),
  conv2dBackpropInput: d('backward', 'dy w', 'dx'),
  conv2dBackpropFilter: d('backward', 'x dy', 'dw'),
  reverseSpatial: d('elementwise', 'x', 'y'),
  maxPool2d: d('forward', 'x', 'y'),
  maxPool2dBackward: d('backward', 'dy x', 'dx'),
  avgPool2d: d('forward', 'x', 'y'),
  avgPool2dBackward: d('backward', 'dy', 'dx'),
  globalAvgPool: d('forward', 'x', 'y'),
  batchNormInference: d('forward', 'x mean variance scale? offset?', 'y'),
  batchNormTraining: d('forward', 'x scale? offset?', 'y mean variance'),
  batchNormBackward: d('backward', 'dy x mean variance scale?', 'dx dscale doffset'),
  layerNorm: d('forward', 'x weight? bias?', 'y mean variance'),
  layerNormBackward: d('backward', 'dy x mean variance weight?', 'dx dweight dbias'),
  groupNorm: d('forward', 'x weight? bias?', 'y mean variance'),
  groupNormBackward: d('backward', 'dy x mean variance weight?', 'dx dweight dbias'),
  frn: d('forward', 'x eps weight? bias?', 'y nu2'),
  frnBackward: d('backward', 'dy x nu2 eps weight?', 'dx dweight dbias deps'),
  tlu: d('forward', 'x tau', 'y'),
  tluBackward: d('backward', 'dy x tau', 'dx dtau'),
  relu: d('forward', 'x', 'y'),
  reluBackward: d('backward', 'dy x', 'dx'),
  linear: d('forward', 'x w b?', 'y'),
  matMul: d('forward', 'a b', 'y'),
  softmax: d('forward', 'x', 'y'),
  softmaxBackward: d('backward', 'dy y', 'dx'),
  logSoftmax: d('forward', 'x', 'y'),
  logSoftmaxBackward: d('backward', 'dy y', 'dx'),
  softmaxCrossEntropy: d('forward', 'logits', 'loss'),
  softmaxCrossEntropyBackward: d('backward', 'logits dy', 'dlogits'),
  add: d('elementwise', 'a b', 'y'),
  sub: d('elementwise', 'a b', 'y'),
  mul: d('elementwise', 'a b', 'y'),
  div: d('elementwise', 'a b', 'y'),
  maximum: d('elementwise', 'a b', 'y'),
  minimum: d('elementwise', 'a b', 'y'),
  neg: d('elementwise', 'x', 'y'),
  sqrt: d('elementwise', 'x', 'y'),
  abs: d('elementwise', 'x', 'y'),
  exp: d('elementwise', 'x', 'y'),
  log: d('elementwise', 'x', 'y'),
  sum: d('elementwise', 'x', 'y'),
  broadcastTo: d('elementwise', 'x', 'y'),
} satisfies Record<KernelName, KernelDescriptor>;

export const kernelNames = Object.keys(KERNELS) as KernelName[];
