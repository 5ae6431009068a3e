import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def = (hasBuffer: boolean): ProgramDef => ({
  name: `sgdMomentumStep${hasBuffer ? '' : '_first'}`,
  inputs: ['param', 'grad', ...(hasBuffer ? ['buffer'] : [])],
  outputs: ['paramOut', 'bufferOut'],
  uniforms: { lr: 'f32', momentum: 'f32', dampening: 'f32', weightDecay: 'f32', nesterov: 'u32' },
  work: 'element',
  body: /* wgsl */ `
  let p = param[i];
  let d = grad[i] + P.weightDecay * p;
  let b = ${hasBuffer ? 'P.momentum * buffer[i] + (1.0 - P.dampening) * d' : 'd'};
  let step = select(b, d + P.momentum * b, P.nesterov != 0u);
  bufferOut[i] = b;
  paramOut[i] = p - P.lr * step;`,
});

/**
 * PyTorch's SGD with momentum: d = g + wd·p; buf = d on the first step, else momentum·buf + (1 − dampening)·d;
 * p ← p − lr·(nesterov ? d + momentum·buf : buf).
 */
export const sgdMomentumStep: GpuKernel<'sgdMomentumStep'> = ({ param, grad, momentumBuffer }, attrs, gpu) => {
  const n = numel(param.shape);
  const paramOut = gpu.alloc(n, 'sgdMomentumStep'), bufferOut = gpu.alloc(n, 'sgdMomentumStep');
  const inputs = [param.data, grad.data, ...(momentumBuffer ? [momentumBuffer.data] : [])];
  gpu.run(def(!!momentumBuffer), inputs, [paramOut, bufferOut], {
    lr: attrs.lr, momentum: attrs.momentum, dampening: attrs.dampening, weightDecay: attrs.weightDecay, nesterov: attrs.nesterov ? 1 : 0,
  }, n);
  return [paramOut, bufferOut];
};
