import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'adamStep',
  inputs: ['param', 'grad', 'm', 'v'],
  outputs: ['paramOut', 'mOut', 'vOut'],
  uniforms: { beta1: 'f32', beta2: 'f32', eps: 'f32', decay: 'f32', coupledDecay: 'f32', stepSize: 'f32', sqrtCorrection2: 'f32' },
  work: 'element',
  body: /* wgsl */ `
  let p = param[i] * (1.0 - P.decay);
  let g = grad[i] + P.coupledDecay * param[i];
  let m1 = P.beta1 * m[i] + (1.0 - P.beta1) * g;
  let v1 = P.beta2 * v[i] + (1.0 - P.beta2) * g * g;
  mOut[i] = m1;
  vOut[i] = v1;
  paramOut[i] = p - P.stepSize * m1 / (sqrt(v1) / P.sqrtCorrection2 + P.eps);`,
};

/**
 * PyTorch's Adam/AdamW: Adam adds wd·p to g, AdamW scales p by (1 − lr·wd) first; bias corrections
 * 1 − βᵗ computed once on the host: p ← p − (lr/c1)·m/(sqrt(v)/sqrt(c2) + eps).
 */
export const adamStep: GpuKernel<'adamStep'> = ({ param, grad, m, v }, a, gpu) => {
  const n = numel(param.shape);
  const op = 'adamStep';
  const outs = [gpu.alloc(n, op), gpu.alloc(n, op), gpu.alloc(n, op)] as const;
  gpu.run(def, [param.data, grad.data, m.data, v.data], outs, {
    beta1: a.beta1, beta2: a.beta2, eps: a.eps,
    decay: a.decoupled ? a.lr * a.weightDecay : 0, coupledDecay: a.decoupled ? 0 : a.weightDecay,
    stepSize: a.lr / (1 - a.beta1 ** a.step), sqrtCorrection2: Math.sqrt(1 - a.beta2 ** a.step),
  }, n);
  return [outs[0], outs[1], outs[2]];
};
