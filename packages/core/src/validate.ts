import { describe, fail, HypercolumnError } from './errors.js';
import { Tensor } from './tensor.js';

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** A live Tensor (not a disposed one, not something else). */
export function checkTensor(op: string, arg: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) fail(op, arg, 'a Tensor', t);
  t.assertUsable(op, arg);
  return t;
}

/** A live tensor of rank `rank` (or one of several ranks); `layout` names the axes in the message. */
export function checkRank(op: string, arg: string, t: unknown, rank: number | number[], layout?: string): Tensor {
  const tensor = checkTensor(op, arg, t);
  const ranks = Array.isArray(rank) ? rank : [rank];
  if (!ranks.includes(tensor.rank)) {
    const what = `rank ${ranks.join(' or ')}${layout ? ` (${layout})` : ''}`;
    throw new HypercolumnError(`${op}: ${arg} expected ${what}, got rank ${tensor.rank} with shape ${shapeText(tensor.shape)}`, op, arg);
  }
  return tensor;
}

/** A live tensor of exactly `shape`. */
export function checkShape(op: string, arg: string, t: unknown, shape: readonly number[]): Tensor {
  const tensor = checkTensor(op, arg, t);
  if (tensor.shape.length !== shape.length || tensor.shape.some((s, i) => s !== shape[i])) {
    throw new HypercolumnError(`${op}: ${arg} expected shape ${shapeText(shape)}, got ${shapeText(tensor.shape)}`, op, arg);
  }
  return tensor;
}

/**
 * Each given tensor lives on `x`'s backend. Ops that update an argument in place (batch norm's
 * running statistics) check this before any work, so a rejected call changes nothing.
 */
export function checkSameBackend(op: string, xArg: string, x: Tensor, others: Record<string, Tensor | null | undefined>): void {
  for (const [arg, t] of Object.entries(others)) {
    if (t && t.backend !== x.backend) {
      throw new HypercolumnError(`${op}: ${arg} expected a tensor on backend "${x.backend}" like ${xArg}, got one on "${t.backend}" (move it with tensor.to("${x.backend}"))`, op, arg);
    }
  }
}

/** Optional tensor of exactly `shape`. */
export function checkOptionalShape(op: string, arg: string, t: unknown, shape: readonly number[]): Tensor | undefined {
  if (t === undefined || t === null) return undefined;
  return checkShape(op, arg, t, shape);
}

/**
 * The largest tensor any backend is asked to hold: 2^31 − 1 elements (kernels index with signed
 * 32-bit integers) and 2 GiB of float32 storage (what WebGPU and wasm32 can address in one buffer).
 * A larger shape is a HypercolumnError before anything is allocated.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;
export const MAX_TENSOR_BYTES = 2 ** 31;

/** Rejects a tensor shape too large to allocate (see MAX_TENSOR_ELEMENTS, MAX_TENSOR_BYTES). */
export function checkAllocation(op: string, arg: string, shape: readonly number[]): void {
  let elements = 1;
  for (const s of shape) elements *= s;
  if (elements > MAX_TENSOR_ELEMENTS || elements * 4 > MAX_TENSOR_BYTES) {
    throw new HypercolumnError(
      `${op}: ${arg} expected at most ${MAX_TENSOR_BYTES / 4} elements (${MAX_TENSOR_BYTES / 2 ** 30} GiB of float32), got shape ${shapeText(shape)} (${elements} elements)`,
      op,
      arg,
    );
  }
}

/** A shape argument for a new tensor: an array of non-negative integers, small enough to allocate. */
export function checkShapeArgument(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) fail(op, 'shape', 'an array of non-negative integers', shape);
  // Array.from visits holes ([, 2]) as undefined: array methods would skip them
  Array.from(shape, (s, i) => {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0) fail(op, `shape[${i}]`, 'a non-negative integer', s);
  });
  checkAllocation(op, 'shape', shape as number[]);
  return [...(shape as number[])];
}

/** A finite number > 0 (eps where 0 would divide by zero, AGC's clipping). */
export function checkPositiveFinite(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(op, arg, 'a finite number > 0', value);
  return value;
}

/** A finite number in [min, max]. */
export function checkInRange(op: string, arg: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) fail(op, arg, `a number in [${min}, ${max}]`, value);
  return value;
}

/** A positive integer (sizes, strides, dilations, groups). */
export function checkPositiveInt(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) fail(op, arg, 'a positive integer', value);
  return value;
}

/** A non-negative integer (paddings). */
export function checkNonNegativeInt(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(op, arg, 'a non-negative integer', value);
  return value;
}

/**
 * The largest stride, dilation, kernel size or padding of a window op (conv, pool): 2^30. Every
 * backend indexes the (padded) input with signed 32-bit arithmetic, so position × stride and
 * kernel offset × dilation must stay below 2^31 (PyTorch's limit is int64; ours is the kernels').
 */
export const MAX_WINDOW_SIZE = 2 ** 30;

/** A positive integer of at most MAX_WINDOW_SIZE (strides, dilations, kernel sizes). */
export function checkWindowSize(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > MAX_WINDOW_SIZE) fail(op, arg, `a positive integer ≤ ${MAX_WINDOW_SIZE}`, value);
  return value;
}

/** A non-negative integer of at most MAX_WINDOW_SIZE (paddings). */
export function checkPaddingSize(op: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_WINDOW_SIZE) fail(op, arg, `a non-negative integer ≤ ${MAX_WINDOW_SIZE}`, value);
  return value;
}

/** A finite number (eps, momentum, learning rates). */
export function checkFinite(op: string, arg: string, value: unknown, min?: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (min !== undefined && value < min)) {
    fail(op, arg, min === undefined ? 'a finite number' : `a finite number ≥ ${min}`, value);
  }
  return value;
}

export function checkBoolean(op: string, arg: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(op, arg, 'a boolean', value);
  return value;
}

/** A number or an array of `count` numbers, each checked by `check`; a number is repeated. */
export function checkTuple(op: string, arg: string, value: unknown, count: number, check: (op: string, arg: string, v: unknown) => number): number[] {
  if (typeof value === 'number') return Array.from({ length: count }, () => check(op, arg, value));
  if (!Array.isArray(value) || value.length !== count) fail(op, arg, `a number or ${count} numbers`, value);
  return Array.from(value, (v, i) => check(op, `${arg}[${i}]`, v)); // holes checked as undefined
}

/** Options must be a plain object with only known keys (typos fail loudly instead of being ignored). */
export function checkOptions<T extends object>(op: string, options: unknown, known: readonly string[]): Partial<T> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) fail(op, 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) fail(op, 'options', `only keys ${known.map((k) => JSON.stringify(k)).join(', ')}`, key);
  }
  return options as Partial<T>;
}

export { describe, shapeText };
