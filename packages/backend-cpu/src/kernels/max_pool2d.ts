import type { CpuKernel } from '../backend.js';
import { maxPoolForward } from '../util/pool.js';
import { sizeOf } from '../util/shape.js';

/** Max pooling: padding ignored (−∞), dilation supported; geometry resolved by core. */
export const maxPool2d: CpuKernel<'maxPool2d'> = ({ x }, { geometry }) => {
  const y = new Float32Array(sizeOf(geometry.yShape));
  maxPoolForward(x.data, geometry, y);
  return y;
};
