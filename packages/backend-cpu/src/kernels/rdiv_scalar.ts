import type { CpuKernel } from '../backend.js';

/** y = value / x (the scalar is an attribute, in float64; one rounding). */
export const rdivScalar: CpuKernel<'rdivScalar'> = ({ x }, { value }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    y[i] = value / v;
  }
  return y;
};
