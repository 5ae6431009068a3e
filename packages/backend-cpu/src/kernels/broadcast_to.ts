import type { CpuKernel } from '../backend.js';
import { broadcastCopy } from '../util/broadcast.js';

/** NumPy broadcast of x to attrs.shape (x's shape right-aligned); runs are block copies or fills. */
export const broadcastTo: CpuKernel<'broadcastTo'> = ({ x }, { shape }) =>
  broadcastCopy(x.data, x.shape, shape);
