import type { GpuKernel } from '../backend.js';
import { columnParamGradDef, rowNormBackwardDef, rowUniforms, SERIAL_PARAM_ELEMENTS } from '../norm_wgsl.js';
import { numel, planes } from '../util.js';

// parameter p = channel c: a run of S elements per n, statistics row (n, c / cpg)
const paramGrads = (serial: boolean) => columnParamGradDef('groupNormBackward', '(seg * P.C + p) * P.S + off', 'seg * P.G + p / P.cpg', serial);

/** dx per (n, group) row; dweight/dbias per channel, reduced over batch and spatial positions. */
export const groupNormBackward: GpuKernel<'groupNormBackward'> = ({ dy, x, mean, variance, weight }, { numGroups: G, eps }, gpu) => {
  const { N, C, S } = planes(x.shape);
  const cpg = C / G, rowLen = cpg * S;
  const dx = gpu.alloc(numel(x.shape), 'groupNormBackward');
  const dweight = gpu.alloc(C, 'groupNormBackward'), dbias = gpu.alloc(C, 'groupNormBackward');
  const def = rowNormBackwardDef('groupNormBackward', '(g % P.G) * P.cpg + seg', !!weight, false);
  const inputs = [dy.data, x.data, mean.data, variance.data, ...(weight ? [weight.data] : [])];
  gpu.run(def, inputs, [dx], rowUniforms({ segments: cpg, segLen: S, segStride: S, rowStride: rowLen, C, G, cpg, S }, eps), N * G);
  gpu.run(paramGrads(N * S <= SERIAL_PARAM_ELEMENTS), [dy.data, x.data, mean.data, variance.data], [dweight, dbias], { segments: N, segLen: S, eps, C, G, cpg, S, rowLen }, C);
  return [dx, dweight, dbias];
};
