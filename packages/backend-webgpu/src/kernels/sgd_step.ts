import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'sgdStep',
  inputs: ['param', 'grad'],
  outputs: ['out'],
  uniforms: { lr: 'f32', weightDecay: 'f32' },
  work: 'element',
  body: 'let p = param[i];\n  out[i] = p - P.lr * (grad[i] + P.weightDecay * p);',
};

/** p ← p − lr·(g + weightDecay·p). */
export const sgdStep: GpuKernel<'sgdStep'> = ({ param, grad }, { lr, weightDecay }, gpu) => {
  const n = numel(param.shape);
  const out = gpu.alloc(n, 'sgdStep');
  gpu.run(def, [param.data, grad.data], [out], { lr, weightDecay }, n);
  return out;
};
