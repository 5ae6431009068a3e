import type { CpuKernel } from '../backend.js';

/** y = min(x, value); NaN (in x or value) propagates, as torch.minimum. */
export const minimumScalar: CpuKernel<'minimumScalar'> = ({ x }, { value }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.min(xd[i]!, value);
  return y;
};
