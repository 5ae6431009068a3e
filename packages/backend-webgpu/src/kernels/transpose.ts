import type { GpuKernel } from '../backend.js';
import { gather } from '../gather.js';
import { stridesOf } from '../util.js';

/** y.shape[k] = x.shape[perm[k]]: output axis k walks x's axis perm[k]. */
export const transpose: GpuKernel<'transpose'> = ({ x }, { perm }, gpu, { y: shape }) => {
  const xStrides = stridesOf(x.shape);
  return gather('transpose', gpu, x.data, shape, perm.map((p) => xStrides[p]!));
};
