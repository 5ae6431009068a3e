import type { GpuKernel } from '../backend.js';
import { columnParamGradDef, rowNormBackwardDef, rowUniforms } from '../norm_wgsl.js';
import { numel, planes } from '../util.js';

// parameter p = channel c: its elements t = (n, s), statistics row (n, c / cpg)
const paramGrads = columnParamGradDef('groupNormBackward', '((t / P.S) * P.C + p) * P.S + t % P.S', '(t / P.S) * P.G + p / P.cpg');

/** dx per (n, group) row; dweight/dbias per channel, reduced over batch and spatial positions. */
export const groupNormBackward: GpuKernel<'groupNormBackward'> = ({ dy, x, mean, variance, weight }, { numGroups: G, eps }, gpu) => {
  const { N, C, S } = planes(x.shape);
  const cpg = C / G, rowLen = cpg * S;
  const dx = gpu.alloc(numel(x.shape), 'groupNormBackward');
  const dweight = gpu.alloc(C, 'groupNormBackward'), dbias = gpu.alloc(C, 'groupNormBackward');
  const def = rowNormBackwardDef('groupNormBackward', '(g % P.G) * P.cpg + k / P.S', !!weight, false);
  const inputs = [dy.data, x.data, mean.data, variance.data, ...(weight ? [weight.data] : [])];
  gpu.run(def, inputs, [dx], rowUniforms({ segments: 1, segLen: rowLen, segStride: 0, rowStride: rowLen, C, G, cpg, S }, eps), N * G);
  gpu.run(paramGrads, [dy.data, x.data, mean.data, variance.data], [dweight, dbias], { count: N * S, eps, C, G, cpg, S, rowLen }, C);
  return [dx, dweight, dbias];
};
