import { backendByName, currentBackend, runKernel } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { Storage, Tensor } from '../tensor.js';
import { publicOp } from '../guard.js';
import { checkAllocation, checkBoolean, checkOptions, checkShapeArgument, shapeText } from '../validate.js';

export interface TensorOptions {
  requiresGrad?: boolean;
  /** Backend name (default: the current backend). */
  backend?: string;
}

export interface TensorCreateOptions extends TensorOptions {
  /**
   * `false`: a Float32Array becomes the tensor's storage without a copy where the backend can adopt
   * host memory (cpu); the caller must not write to it afterwards. Elsewhere it is copied. Default true.
   */
  copy?: boolean;
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
    Array.from(node, (child, i) => walk(child, depth + 1, `${path}[${i}]`)); // holes as undefined
  };
  walk(values, 0, '');
  return { flat, shape };
}

/** Checks tensor options before anything is allocated (`copy` only where `withCopy`). */
function checkTensorOptions(op: string, options: unknown, withCopy: boolean): { backend: ReturnType<typeof currentBackend>; requiresGrad: boolean; copy: boolean } {
  const opts = checkOptions<TensorCreateOptions>(op, options, withCopy ? ['requiresGrad', 'backend', 'copy'] : ['requiresGrad', 'backend']);
  const requiresGrad = checkBoolean(op, 'requiresGrad', opts.requiresGrad ?? false);
  const copy = checkBoolean(op, 'copy', opts.copy ?? true);
  if (opts.backend !== undefined && typeof opts.backend !== 'string') fail(op, 'backend', 'a backend name', opts.backend);
  const backend = opts.backend === undefined ? currentBackend() : backendByName(opts.backend, op);
  return { backend, requiresGrad, copy };
}

/**
 * A new tensor holding a copy of `values` (the caller's array is never aliased or changed, unless
 * `copy: false` lets a host-visible backend adopt a Float32Array).
 * `values` is a Float32Array, an array of numbers, or nested arrays (their nesting gives the shape).
 * `shape` defaults to `[values.length]` (or the nesting); `[]` makes a scalar.
 */
export function tensor(values: Float32Array | ArrayLike<number> | readonly unknown[], shape?: readonly number[], options: TensorCreateOptions = {}): Tensor {
  const op = 'tensor';
  return publicOp(op, () => {
    if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
      fail(op, 'values', 'a Float32Array or an array of numbers', values);
    }
    const { backend, requiresGrad, copy } = checkTensorOptions(op, options, true);
    let data: Float32Array;
    let inferred: number[];
    if (values instanceof Float32Array) {
      data = values;
      inferred = [values.length];
    } else {
      const length = (values as ArrayLike<unknown>).length;
      if (!Number.isSafeInteger(length) || length < 0) fail(op, 'values', 'an array of numbers', values);
      checkAllocation(op, 'values', [length]);
      const nested = Array.isArray(values) ? flattenNested(op, values) : { flat: Array.from(values as ArrayLike<unknown>), shape: [length] };
      nested.flat.forEach((v, i) => {
        if (typeof v !== 'number') fail(op, `values[${i}]`, 'a number', v);
      });
      data = Float32Array.from(nested.flat as number[]);
      inferred = nested.shape;
    }
    if (shape !== undefined && shape !== null && !Array.isArray(shape)) fail(op, 'shape', 'an array of non-negative integers', shape);
    const dims = checkShapeArgument(op, shape ?? inferred);
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new HypercolumnError(`${op}: values expected ${size} elements for shape ${shapeText(dims)}, got ${data.length}`, op, 'values');
    }
    // backend.write copies, so the caller's Float32Array is never aliased unless copy: false asked for it
    const storage = !copy && values instanceof Float32Array ? Storage.adopt(backend, data, dims) : Storage.upload(backend, data, dims);
    const t = Tensor.fromStorage(storage, dims);
    if (requiresGrad) t.requiresGrad = true;
    return t;
  });
}

/** A tensor of `shape` filled with `value`, made on the backend by the `fill` kernel (no upload where the backend has it). */
function filled(op: string, shape: unknown, value: unknown, options: unknown): Tensor {
  return publicOp(op, () => {
    const dims = checkShapeArgument(op, shape);
    // NaN and ±Infinity are valid fill values (as in PyTorch); strings, null and objects are not
    if (typeof value !== 'number') fail(op, 'value', 'a number', value);
    const { backend, requiresGrad } = checkTensorOptions(op, options, false);
    const [t] = runKernel('fill', {}, { value }, { backend, shape: dims });
    if (requiresGrad) t!.requiresGrad = true;
    return t!;
  });
}

/** A tensor of `shape` filled with `value` (any number, NaN and ±Infinity included). */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  return filled('full', shape, value, options);
}
export const zeros = (shape: readonly number[], options: TensorOptions = {}): Tensor => filled('zeros', shape, 0, options);
export const ones = (shape: readonly number[], options: TensorOptions = {}): Tensor => filled('ones', shape, 1, options);
/** A rank-0 tensor holding `value`. */
export const scalar = (value: number, options: TensorOptions = {}): Tensor => filled('scalar', [], value, options);

/** A constant on the same backend as `like` (used by composite ops). */
export function constantLike(like: Tensor, value: number, shape: readonly number[] = []): Tensor {
  return full(shape, value, { backend: like.backend });
}
