import type { CpuKernel } from '../backend.js';

/** p ← p − lr·(g + weightDecay·p), per element in float64, one rounding. */
export const sgdStep: CpuKernel<'sgdStep'> = ({ param, grad }, { lr, weightDecay }) => {
  const p = param.data, g = grad.data, n = p.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = p[i]! - lr * (g[i]! + weightDecay * p[i]!);
  return out;
};
