import { backendByName, currentBackend, runKernel } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { Storage, Tensor } from '../tensor.js';
import { checkBoolean, checkOptions, checkShapeArgument, shapeText } from '../validate.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  /** Backend name (default: the current backend). */
  backend?: string;
}

/** Nested number arrays (`[[1, 2], [3, 4]]`, as PyTorch users write them): flat values and shape. */
function flattenNested(op: string, values: readonly unknown[]): { flat: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: unknown = values; Array.isArray(level); level = level[0]) shape.push(level.length);
  const flat: number[] = [];
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') fail(op, `values${path}`, 'a number', node);
      flat.push(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) fail(op, `values${path}`, `an array of ${shape[depth]} (a rectangular nesting)`, node);
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(values, 0, '');
  return { flat, shape };
}

/**
 * A new tensor holding a copy of `values` (the caller's array is never aliased or changed).
 * `values` is a Float32Array, an array of numbers, or nested arrays (their nesting gives the shape).
 * `shape` defaults to `[values.length]` (or the nesting); `[]` makes a scalar.
 */
export function tensor(values: Float32Array | ArrayLike<number> | readonly unknown[], shape?: readonly number[], options: TensorOptions = {}): Tensor {
  const op = 'tensor';
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
    fail(op, 'values', 'a Float32Array or an array of numbers', values);
  }
  const opts = checkOptions<TensorOptions>(op, options, ['requiresGrad', 'backend']);
  let data: Float32Array;
  let inferred: number[];
  if (values instanceof Float32Array) {
    data = values;
    inferred = [values.length];
  } else {
    const nested = Array.isArray(values) ? flattenNested(op, values) : { flat: Array.from(values as ArrayLike<unknown>), shape: [values.length] };
    nested.flat.forEach((v, i) => {
      if (typeof v !== 'number') fail(op, `values[${i}]`, 'a number', v);
    });
    data = Float32Array.from(nested.flat as number[]);
    inferred = nested.shape;
  }
  const dims = checkShapeArgument(op, shape ?? inferred);
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new HypercolumnError(`${op}: values expected ${size} elements for shape ${shapeText(dims)}, got ${data.length}`, op, 'values');
  }
  const backend = opts.backend === undefined ? currentBackend() : backendByName(opts.backend, op);
  // backend.write copies, so the caller's Float32Array is never aliased
  const t = Tensor.fromStorage(Storage.upload(backend, data, dims), dims);
  if (checkBoolean(op, 'requiresGrad', opts.requiresGrad ?? false)) t.requiresGrad = true;
  return t;
}

/** A tensor of `shape` filled with `value`, made on the backend by the `fill` kernel (no upload where the backend has it). */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const op = 'full';
  const dims = checkShapeArgument(op, shape);
  if (typeof value !== 'number') fail(op, 'value', 'a number', value);
  const opts = checkOptions<TensorOptions>(op, options, ['requiresGrad', 'backend']);
  const backend = opts.backend === undefined ? currentBackend() : backendByName(opts.backend, op);
  const requiresGrad = checkBoolean(op, 'requiresGrad', opts.requiresGrad ?? false);
  const [t] = runKernel('fill', {}, { value }, { backend, shape: dims });
  if (requiresGrad) t!.requiresGrad = true;
  return t!;
}
export const zeros = (shape: readonly number[], options: TensorOptions = {}) => full(shape, 0, options);
export const ones = (shape: readonly number[], options: TensorOptions = {}) => full(shape, 1, options);
export const scalar = (value: number, options: TensorOptions = {}) => full([], value, options);

/** A constant on the same backend as `like` (used by composite ops). */
export function constantLike(like: Tensor, value: number, shape: readonly number[] = []): Tensor {
  return full(shape, value, { backend: like.backend });
}
