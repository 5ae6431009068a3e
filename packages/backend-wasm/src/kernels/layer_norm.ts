import type { WasmKernel } from '../backend.js';
import { numel, ptr } from '../ops.js';

export const layerNorm: WasmKernel<'layerNorm'> = ({ x, weight, bias }, { rowSize, eps }, be) => {
  const n = numel(x.shape), rows = n / rowSize;
  const y = be.alloc(n), mean = be.alloc(rows), variance = be.alloc(rows);
  be.exec('layerNormRows', [x.data.ptr, y.ptr, mean.ptr, variance.ptr, ptr(weight), ptr(bias), eps, rowSize], rows, rowSize * 5);
  return [y, mean, variance];
};
