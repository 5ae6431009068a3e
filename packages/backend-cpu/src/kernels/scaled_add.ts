import type { CpuKernel } from '../backend.js';

/** y = alpha·a + beta·b elementwise (same shapes), in float64 with one rounding. */
export const scaledAdd: CpuKernel<'scaledAdd'> = ({ a, b }, { alpha, beta }) => {
  const ad = a.data, bd = b.data, n = ad.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = alpha * ad[i]! + beta * bd[i]!;
  return y;
};
