import type { CpuKernel } from '../backend.js';

/** 1/(1 + e^−x) in float64 (exact limits 0 and 1; NaN propagates). */
export const sigmoid: CpuKernel<'sigmoid'> = ({ x }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-xd[i]!));
  return y;
};
