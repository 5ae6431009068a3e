import type { CpuKernel } from '../backend.js';
import { maxPoolBackward } from '../util/pool.js';
import { sizeOf } from '../util/shape.js';

/**
 * Routes each dy to its window's argmax (recomputed from x with the forward's rule: first maximum
 * in row-major tap order wins, as PyTorch); overlapping windows accumulate.
 */
export const maxPool2dBackward: CpuKernel<'maxPool2dBackward'> = ({ dy, x }, { geometry }) => {
  const dx = new Float32Array(sizeOf(geometry.xShape));
  maxPoolBackward(x.data, geometry, dy.data, dx);
  return dx;
};
