import type { CpuKernel } from '../backend.js';
import { softmaxBackwardCore } from '../util/softmax.js';

/** From the forward output y: dx = y·(dy − Σ_axis dy·y). */
export const softmaxBackward: CpuKernel<'softmaxBackward'> = ({ dy, y }, attrs) => {
  const dx = new Float32Array(y.data.length);
  softmaxBackwardCore(dy.data, y.data, dx, attrs, false);
  return dx;
};
