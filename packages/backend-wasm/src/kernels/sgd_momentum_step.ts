import type { WasmKernel } from '../backend.js';
import { CHUNK, numel, ptr } from '../ops.js';

export const sgdMomentumStep: WasmKernel<'sgdMomentumStep'> = ({ param, grad, momentumBuffer }, a, be) => {
  const n = numel(param.shape);
  const p = be.alloc(n), buf = be.alloc(n);
  be.exec('sgdMomentum', [
    param.data.ptr, grad.data.ptr, ptr(momentumBuffer), p.ptr, buf.ptr, n, a.lr, a.momentum, a.dampening, a.weightDecay, a.nesterov ? 1 : 0,
  ], Math.ceil(n / CHUNK), CHUNK * 4);
  return [p, buf];
};
