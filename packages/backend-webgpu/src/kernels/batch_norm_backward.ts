import type { GpuKernel } from '../backend.js';
import { rowNormBackwardDef, rowUniforms } from '../norm_wgsl.js';
import { numel, planes } from '../util.js';

/** Training-mode gradient per channel row; dscale = Σ dy·x̂ and doffset = Σ dy come from the same sums. */
export const batchNormBackward: GpuKernel<'batchNormBackward'> = ({ dy, x, mean, variance, scale }, { eps }, gpu) => {
  const { N, C, S } = planes(x.shape);
  const dx = gpu.alloc(numel(x.shape), 'batchNormBackward');
  const dscale = gpu.alloc(C, 'batchNormBackward'), doffset = gpu.alloc(C, 'batchNormBackward');
  const def = rowNormBackwardDef('batchNormBackward', 'g', !!scale, true);
  const inputs = [dy.data, x.data, mean.data, variance.data, ...(scale ? [scale.data] : [])];
  gpu.run(def, inputs, [dx, dscale, doffset], rowUniforms({ segments: N, segLen: S, segStride: C * S, rowStride: S }, eps), C);
  return [dx, dscale, doffset];
};
