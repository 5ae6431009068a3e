import type { CpuKernel } from '../backend.js';

/** tanh x (Math.tanh, float64). */
export const tanh: CpuKernel<'tanh'> = ({ x }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.tanh(xd[i]!);
  return y;
};
