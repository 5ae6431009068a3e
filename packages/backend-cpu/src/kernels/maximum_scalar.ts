import type { CpuKernel } from '../backend.js';

/** y = max(x, value); NaN (in x or value) propagates, as torch.maximum. */
export const maximumScalar: CpuKernel<'maximumScalar'> = ({ x }, { value }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.max(xd[i]!, value);
  return y;
};
