import type { WasmKernel } from '../backend.js';

export const agcUnitClip: WasmKernel<'agcUnitClip'> = ({ param, grad }, { units, unitSize, clipping, eps }, be) => {
  const out = be.alloc(units * unitSize);
  be.exec('agc', [param.data.ptr, grad.data.ptr, out.ptr, unitSize, clipping, eps], units, unitSize * 5);
  return out;
};
