import type { CpuKernel } from '../backend.js';

/**
 * PyTorch's Adam (decoupled: AdamW) step per element, float64 within the element:
 *   Adam: g ← g + wd·p;  AdamW: p ← p·(1 − lr·wd)
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps)
 */
export const adamStep: CpuKernel<'adamStep'> = ({ param, grad, m, v }, { lr, beta1, beta2, eps, weightDecay, decoupled, step }) => {
  const pd = param.data, gd = grad.data, md = m.data, vd = v.data, n = pd.length;
  const newParam = new Float32Array(n), newM = new Float32Array(n), newV = new Float32Array(n);
  const stepSize = lr / (1 - beta1 ** step);
  const invSqrtBias2 = 1 / Math.sqrt(1 - beta2 ** step);
  const shrink = decoupled ? 1 - lr * weightDecay : 1;
  const coupled = decoupled ? 0 : weightDecay;
  for (let i = 0; i < n; i++) {
    const p = pd[i]! * shrink;
    const g = gd[i]! + coupled * pd[i]!;
    newM[i] = beta1 * md[i]! + (1 - beta1) * g;
    newV[i] = beta2 * vd[i]! + (1 - beta2) * g * g;
    newParam[i] = p - (stepSize * newM[i]!) / (Math.sqrt(newV[i]!) * invSqrtBias2 + eps);
  }
  return [newParam, newM, newV];
};
