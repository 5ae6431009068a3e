import type { GpuKernel } from '../backend.js';
import { rowNormForwardDef, rowUniforms } from '../norm_wgsl.js';
import { numel, planes } from '../util.js';

/** A row per (n, group): its C/G planes are the segments; the affine parameters are per channel (segment). */
export const groupNorm: GpuKernel<'groupNorm'> = ({ x, weight, bias }, { numGroups: G, eps }, gpu) => {
  const { N, C, S } = planes(x.shape);
  const cpg = C / G, rowLen = cpg * S;
  const y = gpu.alloc(numel(x.shape), 'groupNorm');
  const mean = gpu.alloc(N * G, 'groupNorm'), variance = gpu.alloc(N * G, 'groupNorm');
  const def = rowNormForwardDef('groupNorm', '(g % P.G) * P.cpg + seg', !!weight, !!bias);
  const inputs = [x.data, ...(weight ? [weight.data] : []), ...(bias ? [bias.data] : [])];
  gpu.run(def, inputs, [y, mean, variance], rowUniforms({ segments: cpg, segLen: S, segStride: S, rowStride: rowLen, C, G, cpg, S }, eps), N * G);
  return [y, mean, variance];
};
