import type { GpuKernel } from '../backend.js';
import { gather } from '../gather.js';
import { stridesOf } from '../util.js';

/** Reverses the last two axes: they are walked backwards from their last element. */
export const reverseSpatial: GpuKernel<'reverseSpatial'> = ({ x }, _attrs, gpu) => {
  const shape = x.shape, r = shape.length;
  const strides = stridesOf(shape);
  let base = 0;
  for (let k = Math.max(0, r - 2); k < r; k++) {
    base += (shape[k]! - 1) * strides[k]!;
    strides[k] = -strides[k]!;
  }
  return gather('reverseSpatial', gpu, x.data, shape, strides, base);
};
