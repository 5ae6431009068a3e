import type { WasmKernel } from '../backend.js';
import { CHUNK, numel } from '../ops.js';

export const scaledAdd: WasmKernel<'scaledAdd'> = ({ a, b }, { alpha, beta }, be) => {
  const n = numel(a.shape);
  const y = be.alloc(n);
  be.exec('scaledAdd', [a.data.ptr, b.data.ptr, y.ptr, n, alpha, beta], Math.ceil(n / CHUNK), CHUNK * 2);
  return y;
};
