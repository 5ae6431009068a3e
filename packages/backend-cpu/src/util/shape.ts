/** Small shape helpers shared by the cpu kernels. */

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Product of the dims after the channel axis of an [N, C, ...spatial] tensor (1 for rank 2). */
export function spatialSize(shape: readonly number[]): number {
  let n = 1;
  for (let i = 2; i < shape.length; i++) n *= shape[i]!;
  return n;
}
