import type { CpuKernel } from '../backend.js';
import { softmaxForward } from '../util/softmax.js';

/** Softmax along the axis (outer/axisSize/inner), stable (max subtracted, float64 sums). */
export const softmax: CpuKernel<'softmax'> = ({ x }, attrs) => {
  const y = new Float32Array(x.data.length);
  softmaxForward(x.data, y, attrs, false);
  return y;
};
