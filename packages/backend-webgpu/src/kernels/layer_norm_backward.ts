import type { GpuKernel } from '../backend.js';
import { columnParamGradDef, rowNormBackwardDef, rowUniforms, SERIAL_PARAM_ELEMENTS } from '../norm_wgsl.js';
import { numel } from '../util.js';

// parameter p = position in the row; its elements are the rows (one run over them; the row varies per element)
const paramGrads = (serial: boolean) => columnParamGradDef('layerNormBackward', 'off * P.rowLen + p', 'off', serial);

/** dx per row; dweight/dbias per position, reduced over the rows. */
export const layerNormBackward: GpuKernel<'layerNormBackward'> = ({ dy, x, mean, variance, weight }, { rowSize, eps }, gpu) => {
  const n = numel(x.shape), rows = n / rowSize;
  const dx = gpu.alloc(n, 'layerNormBackward');
  const dweight = gpu.alloc(rowSize, 'layerNormBackward'), dbias = gpu.alloc(rowSize, 'layerNormBackward');
  const def = rowNormBackwardDef('layerNormBackward', 'off', !!weight, false);
  const inputs = [dy.data, x.data, mean.data, variance.data, ...(weight ? [weight.data] : [])];
  gpu.run(def, inputs, [dx], rowUniforms({ segments: 1, segLen: rowSize, segStride: 0, rowStride: rowSize }, eps), rows);
  gpu.run(paramGrads(rows <= SERIAL_PARAM_ELEMENTS), [dy.data, x.data, mean.data, variance.data], [dweight, dbias],
    { segments: 1, segLen: rows, eps, C: 0, G: 0, cpg: 0, S: 0, rowLen: rowSize }, rowSize);
  return [dx, dweight, dbias];
};
