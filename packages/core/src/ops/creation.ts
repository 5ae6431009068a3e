import { backendByName, currentBackend } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { Storage, Tensor } from '../tensor.js';
import { checkShapeArgument, shapeText } from '../validate.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  /** Backend name (default: the current backend). */
  backend?: string;
}

/**
 * A new tensor holding a copy of `values` (the caller's array is never aliased or changed).
 * `shape` defaults to `[values.length]`; `[]` makes a scalar.
 */
export function tensor(values: Float32Array | ArrayLike<number>, shape?: readonly number[], options: TensorOptions = {}): Tensor {
  const op = 'tensor';
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    fail(op, 'values', 'a Float32Array or an array of numbers', values);
  }
  const dims = checkShapeArgument(op, shape ?? [values.length]);
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== values.length) {
    throw new HypercolumnError(`${op}: values expected ${size} elements for shape ${shapeText(dims)}, got ${values.length}`, op, 'values');
  }
  const data = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  const backend = options.backend === undefined ? currentBackend() : backendByName(options.backend, op);
  // backend.write copies, so the caller's Float32Array is never aliased
  const t = Tensor.fromStorage(new Storage(backend, backend.write(data, dims), size * 4), dims);
  if (options.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const dims = checkShapeArgument('full', shape);
  return tensor(new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value), dims, options);
}
export const zeros = (shape: readonly number[], options: TensorOptions = {}) => full(shape, 0, options);
export const ones = (shape: readonly number[], options: TensorOptions = {}) => full(shape, 1, options);
export const scalar = (value: number, options: TensorOptions = {}) => full([], value, options);

/** A constant on the same backend as `like` (used by composite ops). */
export function constantLike(like: Tensor, value: number, shape: readonly number[] = []): Tensor {
  return full(shape, value, { backend: like.backend });
}
