import type { CpuKernel } from '../backend.js';
import { softmaxForward } from '../util/softmax.js';

/** Log softmax along the axis: x − max − log Σ exp(x − max). */
export const logSoftmax: CpuKernel<'logSoftmax'> = ({ x }, attrs) => {
  const y = new Float32Array(x.data.length);
  softmaxForward(x.data, y, attrs, true);
  return y;
};
