import { HypercolumnError } from '@hypercolumn/core';

/** Number of elements of a shape. */
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let k = shape.length - 1, acc = 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k]!;
  }
  return s;
}

/** `[N, C, S]` of an `[N, C, ...spatial]` tensor (S = product of the spatial axes, 1 for rank 2). */
export function planes(shape: readonly number[]): { N: number; C: number; S: number } {
  return { N: shape[0]!, C: shape[1] ?? 1, S: numel(shape.slice(2)) };
}

/** Strides of `from` read as broadcast to `to` (aligned right; broadcast axes get stride 0). */
export function broadcastStrides(from: readonly number[], to: readonly number[]): number[] {
  const own = stridesOf(from);
  const offset = to.length - from.length;
  return to.map((_, k) => (k < offset || from[k - offset] === 1 ? 0 : own[k - offset]!));
}

/** The most axes a strided index may have in a shader (uniform vectors of 8). */
export const MAX_RANK = 8;

/**
 * Merges adjacent axes that every stride set walks contiguously (and drops size-1 axes), so strided
 * kernels see the fewest axes; throws past MAX_RANK.
 */
export function collapseAxes(op: string, shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, j) => outStrides[j]![last] === s[k]! * shape[k]!)) {
      outShape[last]! *= shape[k]!;
      strides.forEach((s, j) => (outStrides[j]![last] = s[k]!));
    } else {
      outShape.push(shape[k]!);
      strides.forEach((s, j) => outStrides[j]!.push(s[k]!));
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    outStrides.forEach((s) => s.push(0));
  }
  if (outShape.length > MAX_RANK) {
    throw new HypercolumnError(`${op}: the webgpu backend supports tensors of at most ${MAX_RANK} non-mergeable axes, got ${outShape.length}`, op);
  }
  return { shape: outShape, strides: outStrides };
}

