import type { WasmKernel } from '../backend.js';
import { numel, ptr } from '../ops.js';

export const layerNormBackward: WasmKernel<'layerNormBackward'> = ({ dy, x, mean, variance, weight }, { rowSize, eps }, be) => {
  const n = numel(x.shape), rows = n / rowSize;
  const dx = be.alloc(n), dweight = be.alloc(rowSize), dbias = be.alloc(rowSize);
  be.exec('layerNormGradRows', [dy.data.ptr, x.data.ptr, dx.ptr, mean.data.ptr, variance.data.ptr, ptr(weight), eps, rowSize], rows, rowSize * 6);
  be.exec('layerNormGradParams', [dy.data.ptr, x.data.ptr, mean.data.ptr, variance.data.ptr, dweight.ptr, dbias.ptr, eps, rows, rowSize], rowSize, rows * 4);
  return [dx, dweight, dbias];
};
