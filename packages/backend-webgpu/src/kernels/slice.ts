import type { GpuKernel } from '../backend.js';
import { gather } from '../gather.js';

/** y = x[outer, begin : begin + size, inner] of x seen as [outer, axisSize, inner]. */
export const slice: GpuKernel<'slice'> = ({ x }, { outer, axisSize, inner, begin, size }, gpu) =>
  gather('slice', gpu, x.data, [outer, size, inner], [axisSize * inner, inner, 1], begin * inner);
