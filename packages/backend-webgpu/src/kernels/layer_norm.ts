import type { GpuKernel } from '../backend.js';
import { rowNormForwardDef, rowUniforms } from '../norm_wgsl.js';
import { numel } from '../util.js';

/** Each contiguous row of rowSize elements; weight/bias indexed by the position in the row. */
export const layerNorm: GpuKernel<'layerNorm'> = ({ x, weight, bias }, { rowSize, eps }, gpu) => {
  const n = numel(x.shape), rows = n / rowSize;
  const y = gpu.alloc(n, 'layerNorm');
  const mean = gpu.alloc(rows, 'layerNorm'), variance = gpu.alloc(rows, 'layerNorm');
  const def = rowNormForwardDef('layerNorm', 'off', !!weight, !!bias);
  const inputs = [x.data, ...(weight ? [weight.data] : []), ...(bias ? [bias.data] : [])];
  gpu.run(def, inputs, [y, mean, variance], rowUniforms({ segments: 1, segLen: rowSize, segStride: 0, rowStride: rowSize }, eps), rows);
  return [y, mean, variance];
};
