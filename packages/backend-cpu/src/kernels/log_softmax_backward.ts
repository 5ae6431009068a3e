import type { CpuKernel } from '../backend.js';
import { softmaxBackwardCore } from '../util/softmax.js';

/** From the forward output y = log softmax(x): dx = dy − exp(y)·Σ_axis dy. */
export const logSoftmaxBackward: CpuKernel<'logSoftmaxBackward'> = ({ dy, y }, attrs) => {
  const dx = new Float32Array(y.data.length);
  softmaxBackwardCore(dy.data, y.data, dx, attrs, true);
  return dx;
};
