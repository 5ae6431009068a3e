import type { WasmKernel } from '../backend.js';
import { CHUNK, numel } from '../ops.js';

export const sgdStep: WasmKernel<'sgdStep'> = ({ param, grad }, { lr, weightDecay }, be) => {
  const n = numel(param.shape);
  const out = be.alloc(n);
  be.exec('sgd', [param.data.ptr, grad.data.ptr, out.ptr, n, lr, weightDecay], Math.ceil(n / CHUNK), CHUNK * 2);
  return out;
};
