import type { GpuKernel } from '../backend.js';
import { gather } from '../gather.js';
import { broadcastStrides } from '../util.js';

/** NumPy broadcast of x to `shape`: broadcast axes read with stride 0. */
export const broadcastTo: GpuKernel<'broadcastTo'> = ({ x }, { shape }, gpu) =>
  gather('broadcastTo', gpu, x.data, shape, broadcastStrides(x.shape, shape));
