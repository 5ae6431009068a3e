import { fail, HypercolumnError } from './errors.js';
import type { Conv2dGeometry, Pool2dGeometry } from './kernels.js';
import { checkAllocation, checkNonNegativeInt, checkPaddingSize, checkPositiveInt, checkTuple, checkWindowSize, shapeText } from './validate.js';

/** Padding as users write it (DESIGN §3). */
export type Padding2d = number | [number, number] | [number, number, number, number] | 'valid' | 'same';
export type Padding1d = number | [number] | [number, number] | 'valid' | 'same';

/** Output length of a conv/pool axis: floor((x + padBefore + padAfter − d(f−1) − 1)/s) + 1 (unchecked). */
function outputLength(inSize: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((inSize + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1;
}

/** 'same' padding of one axis (unchecked): output ceil(x/s), the odd pixel after (ONNX SAME_UPPER). */
function sameLength(inSize: number, kernel: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + dilation * (kernel - 1) + 1 - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * Output length of a conv/pool axis: floor((x + padBefore + padAfter − d(f−1) − 1)/s) + 1.
 * A window larger than the padded input (output < 1) is a HypercolumnError, not a negative size.
 */
export function convOutputSize(inSize: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation = 1): number {
  const op = 'convOutputSize';
  checkPositiveInt(op, 'inSize', inSize);
  checkPositiveInt(op, 'kernel', kernel);
  checkPositiveInt(op, 'stride', stride);
  checkNonNegativeInt(op, 'padBefore', padBefore);
  checkNonNegativeInt(op, 'padAfter', padAfter);
  checkPositiveInt(op, 'dilation', dilation);
  const out = outputLength(inSize, kernel, stride, padBefore, padAfter, dilation);
  if (out < 1) fail(op, 'kernel', `a dilated kernel (${dilation * (kernel - 1) + 1}) of at most the padded input size (${inSize + padBefore + padAfter})`, kernel);
  return out;
}

/** 'same' padding [before, after] of one axis: output ceil(x/s), the odd pixel after (ONNX SAME_UPPER). */
export function samePadding(inSize: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const op = 'samePadding';
  checkPositiveInt(op, 'inSize', inSize);
  checkPositiveInt(op, 'kernel', kernel);
  checkPositiveInt(op, 'stride', stride);
  checkPositiveInt(op, 'dilation', dilation);
  return sameLength(inSize, kernel, stride, dilation);
}

/**
 * Resolves padding of a 2-d window op to [top, bottom, left, right].
 * Accepts a number, [ph, pw], [top, bottom, left, right], 'valid' or 'same'.
 */
export function resolvePadding2d(
  op: string,
  padding: unknown,
  inSize: [number, number],
  kernel: [number, number],
  stride: [number, number],
  dilation: [number, number],
): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const [t, b] = sameLength(inSize[0], kernel[0], stride[0], dilation[0]);
    const [l, r] = sameLength(inSize[1], kernel[1], stride[1], dilation[1]);
    return [t, b, l, r];
  }
  if (typeof padding === 'string') fail(op, 'padding', `a number, [ph, pw], [top, bottom, left, right], "valid" or "same"`, padding);
  if (typeof padding === 'number') {
    const p = checkPaddingSize(op, 'padding', padding);
    return [p, p, p, p];
  }
  if (Array.isArray(padding) && padding.length === 2) {
    const [ph, pw] = Array.from(padding, (p, i) => checkPaddingSize(op, `padding[${i}]`, p)) as [number, number];
    return [ph, ph, pw, pw];
  }
  if (Array.isArray(padding) && padding.length === 4) {
    return Array.from(padding, (p, i) => checkPaddingSize(op, `padding[${i}]`, p)) as [number, number, number, number];
  }
  fail(op, 'padding', `a number, [ph, pw], [top, bottom, left, right], "valid" or "same"`, padding);
}

/** 1-d padding → the 2-d form with no padding on the (unit) height axis; checked in 1-d terms. */
export function padding1dTo2d(op: string, padding: unknown): Padding2d {
  if (padding === 'valid' || padding === 'same') return padding;
  if (typeof padding === 'number') {
    const p = checkPaddingSize(op, 'padding', padding);
    return [0, 0, p, p];
  }
  if (Array.isArray(padding) && (padding.length === 1 || padding.length === 2)) {
    const [left, right = left] = Array.from(padding, (p, i) => checkPaddingSize(op, `padding[${i}]`, p));
    return [0, 0, left!, right];
  }
  fail(op, 'padding', 'a number, [p], [left, right], "valid" or "same"', padding);
}

/**
 * x [N, C, spatial…] with every spatial axis non-empty: a window slides over input, and there is
 * none to slide over whatever the padding (PyTorch refuses it too). An empty batch or channel axis
 * is fine (an empty result, or sums over nothing).
 */
export function checkSpatialNonEmpty(op: string, xShape: readonly number[]): void {
  if (xShape.slice(2).some((s) => s === 0)) fail(op, 'x', 'non-empty spatial dimensions (zero batch or channels are fine)', [...xShape]);
}

export interface ConvOptions2d {
  stride?: number | [number, number];
  padding?: Padding2d;
  dilation?: number | [number, number];
  groups?: number;
}

/** Checks and resolves a 2-d convolution: every size a kernel needs, or a HypercolumnError. */
export function conv2dGeometry(op: string, xShape: readonly number[], wShape: readonly number[], options: ConvOptions2d): Conv2dGeometry {
  const [batch, inChannels, inHeight, inWidth] = xShape as [number, number, number, number];
  const [outChannels, wInChannels, kernelHeight, kernelWidth] = wShape as [number, number, number, number];
  checkSpatialNonEmpty(op, xShape);
  if (kernelHeight === 0 || kernelWidth === 0) fail(op, 'w', 'kernel sizes of at least 1 (w is [O, C/groups, kh, kw])', [...wShape]);
  const [strideHeight, strideWidth] = checkTuple(op, 'stride', options.stride ?? 1, 2, checkWindowSize) as [number, number];
  const [dilationHeight, dilationWidth] = checkTuple(op, 'dilation', options.dilation ?? 1, 2, checkWindowSize) as [number, number];
  const groups = checkPositiveInt(op, 'groups', options.groups ?? 1);
  if (inChannels % groups !== 0) fail(op, 'groups', `a divisor of the input channels (${inChannels})`, groups);
  if (outChannels % groups !== 0) fail(op, 'groups', `a divisor of the output channels (${outChannels})`, groups);
  if (wInChannels !== inChannels / groups) {
    throw new HypercolumnError(
      `${op}: w expected shape [${outChannels}, ${inChannels / groups}, kh, kw] (input channels ${inChannels} / groups ${groups}), got ${shapeText(wShape)}`,
      op,
      'w',
    );
  }
  const [padTop, padBottom, padLeft, padRight] = resolvePadding2d(
    op,
    options.padding ?? 0,
    [inHeight, inWidth],
    [kernelHeight, kernelWidth],
    [strideHeight, strideWidth],
    [dilationHeight, dilationWidth],
  );
  const outHeight = outputLength(inHeight, kernelHeight, strideHeight, padTop, padBottom, dilationHeight);
  const outWidth = outputLength(inWidth, kernelWidth, strideWidth, padLeft, padRight, dilationWidth);
  checkWindowFits(op, 'w', [inHeight, inWidth], [kernelHeight, kernelWidth], [dilationHeight, dilationWidth], [padTop + padBottom, padLeft + padRight], outHeight, outWidth);
  // a backend may materialise the padded input (im2col, padded rows): it must be allocatable too
  checkAllocation(op, 'padding', [batch, inChannels, inHeight + padTop + padBottom, inWidth + padLeft + padRight]);
  checkAllocation(op, 'output', [batch, outChannels, outHeight, outWidth]);
  return {
    batch, inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth,
    strideHeight, strideWidth, dilationHeight, dilationWidth,
    padTop, padBottom, padLeft, padRight, groups, outHeight, outWidth,
    xShape: [batch, inChannels, inHeight, inWidth],
    wShape: [outChannels, wInChannels, kernelHeight, kernelWidth],
    yShape: [batch, outChannels, outHeight, outWidth],
  };
}

function checkWindowFits(
  op: string,
  arg: string,
  inSize: [number, number],
  kernel: [number, number],
  dilation: [number, number],
  padTotal: [number, number],
  outHeight: number,
  outWidth: number,
): void {
  if (outHeight >= 1 && outWidth >= 1) return;
  const eff = [dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1];
  const padded = [inSize[0] + padTotal[0], inSize[1] + padTotal[1]];
  const size = (h: number, w: number) => (isUnitHeight(inSize, kernel, padTotal) ? `${w}` : `${h}×${w}`);
  throw new HypercolumnError(
    `${op}: ${arg} expected a (dilated) kernel of at most the padded input size ${size(padded[0]!, padded[1]!)}, got ${size(eff[0]!, eff[1]!)} (output would be ${size(outHeight, outWidth)})`,
    op,
    arg,
  );
}

/** 1-d ops run as 2-d on a unit height: their messages then speak of the length alone. */
function isUnitHeight(inSize: [number, number], kernel: [number, number], padHeight: [number, number] | number[]): boolean {
  return inSize[0] === 1 && kernel[0] === 1 && padHeight[0] === 0;
}

export interface PoolOptions2d {
  kernelSize: number | [number, number];
  stride?: number | [number, number];
  /** As for convs: a number, [ph, pw], [top, bottom, left, right], 'valid' or 'same' (SAME_UPPER). */
  padding?: Padding2d;
  dilation?: number | [number, number];
  ceilMode?: boolean;
}

/** Pool output length with PyTorch's ceilMode rule (a last window starting in the end padding is dropped). */
export function poolOutputSize(inSize: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation: number, ceilMode: boolean): number {
  const span = inSize + padBefore + padAfter - dilation * (kernel - 1) - 1;
  if (!ceilMode) return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  if ((out - 1) * stride >= inSize + padBefore) out--;
  return out;
}

/** The window options of a pool, checked without an input (layers check them at construction). */
export function checkPoolWindow(op: string, options: PoolOptions2d, givenPadding: unknown = options.padding): { kernel: [number, number]; stride: [number, number]; dilation: [number, number]; ceilMode: boolean } {
  if (options.kernelSize === undefined) fail(op, 'kernelSize', 'a positive integer or [kh, kw]', undefined);
  const kernel = checkTuple(op, 'kernelSize', options.kernelSize, 2, checkWindowSize) as [number, number];
  const stride = checkTuple(op, 'stride', options.stride ?? kernel, 2, checkWindowSize) as [number, number];
  const dilation = checkTuple(op, 'dilation', options.dilation ?? 1, 2, checkWindowSize) as [number, number];
  const ceilMode = options.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean') fail(op, 'ceilMode', 'a boolean', ceilMode);
  // explicit padding: each side at most half the kernel (PyTorch's rule; a window must see the input)
  if (options.padding !== 'same') {
    const [top, bottom, left, right] = resolvePadding2d(op, options.padding ?? 0, [1, 1], kernel, stride, dilation);
    const [halfH, halfW] = [Math.floor(kernel[0] / 2), Math.floor(kernel[1] / 2)];
    if (top > halfH || bottom > halfH || left > halfW || right > halfW) {
      fail(op, 'padding', `at most half the kernel size (${kernel[0] === 1 && top + bottom === 0 ? halfW : `${halfH}, ${halfW}`}) on each side`, givenPadding);
    }
  }
  return { kernel, stride, dilation, ceilMode };
}

/** Checks and resolves a 2-d pooling window on x [N, C, H, W]. */
export function pool2dGeometry(op: string, xShape: readonly number[], options: PoolOptions2d): Pool2dGeometry {
  const [batch, channels, inHeight, inWidth] = xShape as [number, number, number, number];
  const { kernel, stride, dilation, ceilMode } = checkPoolWindow(op, options);
  checkSpatialNonEmpty(op, xShape);
  const [kernelHeight, kernelWidth] = kernel;
  const [strideHeight, strideWidth] = stride;
  const [dilationHeight, dilationWidth] = dilation;
  const [padTop, padBottom, padLeft, padRight] = resolvePadding2d(op, options.padding ?? 0, [inHeight, inWidth], kernel, stride, dilation);
  // the (dilated) window must fit the padded input whatever ceilMode's rounding makes of the output size
  const fits = dilationHeight * (kernelHeight - 1) + 1 <= inHeight + padTop + padBottom && dilationWidth * (kernelWidth - 1) + 1 <= inWidth + padLeft + padRight;
  const outHeight = !fits ? 0 : poolOutputSize(inHeight, kernelHeight, strideHeight, padTop, padBottom, dilationHeight, ceilMode);
  const outWidth = !fits ? 0 : poolOutputSize(inWidth, kernelWidth, strideWidth, padLeft, padRight, dilationWidth, ceilMode);
  checkWindowFits(op, 'kernelSize', [inHeight, inWidth], [kernelHeight, kernelWidth], [dilationHeight, dilationWidth], [padTop + padBottom, padLeft + padRight], outHeight, outWidth);
  // 'same' can pad a huge kernel hugely: a backend may materialise the padded input
  checkAllocation(op, 'padding', [batch, channels, inHeight + padTop + padBottom, inWidth + padLeft + padRight]);
  checkAllocation(op, 'output', [batch, channels, outHeight, outWidth]);
  return {
    batch, channels, inHeight, inWidth, kernelHeight, kernelWidth, strideHeight, strideWidth,
    dilationHeight, dilationWidth, padTop, padBottom, padLeft, padRight,
    outHeight, outWidth,
    xShape: [batch, channels, inHeight, inWidth],
    yShape: [batch, channels, outHeight, outWidth],
  };
}

/** NumPy broadcast of two shapes, or a HypercolumnError. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new HypercolumnError(`${op}: b expected a shape broadcastable with ${shapeText(a)}, got ${shapeText(b)}`, op, 'b');
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Axes of `outShape` that broadcasting expanded from `shape` (for reducing gradients back). */
export function broadcastAxes(shape: readonly number[], outShape: readonly number[]): number[] {
  const axes: number[] = [];
  const offset = outShape.length - shape.length;
  for (let i = 0; i < outShape.length; i++) {
    const s = i < offset ? 1 : shape[i - offset]!;
    if (s === 1 && outShape[i] !== 1) axes.push(i);
    else if (i < offset) axes.push(i);
  }
  return axes;
}

/** Normalises a possibly negative axis for a tensor of `rank`. */
export function normalizeAxis(op: string, arg: string, axis: unknown, rank: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    fail(op, arg, `an integer axis in [${-rank}, ${rank - 1}]`, axis);
  }
  return axis < 0 ? axis + rank : axis;
}
