import type { CpuKernel } from '../backend.js';

/** y = max(x, 0); NaN propagates (as torch.relu). */
export const relu: CpuKernel<'relu'> = ({ x }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    y[i] = v > 0 || v !== v ? v : 0;
  }
  return y;
};
