import type { CpuKernel } from '../backend.js';

/**
 * PyTorch's SGD with momentum, per element (float64 within the element):
 *   d = g + weightDecay·p;  b = d (first step, no buffer) | momentum·b + (1 − dampening)·d;
 *   p ← p − lr·(nesterov ? d + momentum·b : b).
 * The new buffer is stored rounded to float32, as the composition stores it.
 */
export const sgdMomentumStep: CpuKernel<'sgdMomentumStep'> = ({ param, grad, momentumBuffer }, { lr, momentum, dampening, weightDecay, nesterov }) => {
  const p = param.data, g = grad.data, old = momentumBuffer?.data, n = p.length;
  const newParam = new Float32Array(n), newBuffer = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const d = g[i]! + weightDecay * p[i]!;
    newBuffer[i] = old ? momentum * old[i]! + (1 - dampening) * d : d;
    const b = newBuffer[i]!;
    newParam[i] = p[i]! - lr * (nesterov ? d + momentum * b : b);
  }
  return [newParam, newBuffer];
};
