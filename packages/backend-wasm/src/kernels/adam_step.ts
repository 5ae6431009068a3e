import type { WasmKernel } from '../backend.js';
import { CHUNK, numel } from '../ops.js';

export const adamStep: WasmKernel<'adamStep'> = ({ param, grad, m, v }, a, be) => {
  const n = numel(param.shape);
  const p = be.alloc(n), m2 = be.alloc(n), v2 = be.alloc(n);
  be.exec('adam', [
    param.data.ptr, grad.data.ptr, m.data.ptr, v.data.ptr, p.ptr, m2.ptr, v2.ptr, n, a.lr, a.beta1, a.beta2, a.eps, a.weightDecay,
    a.decoupled ? 1 : 0, 1 - a.beta1 ** a.step, 1 - a.beta2 ** a.step,
  ], Math.ceil(n / CHUNK), CHUNK * 10);
  return [p, m2, v2];
};
