import type { GpuKernel } from '../backend.js';
import { rowNormForwardDef, rowUniforms } from '../norm_wgsl.js';
import { numel, planes } from '../util.js';

/** Batch statistics per channel (a row = N segments of one plane), then normalize with them. */
export const batchNormTraining: GpuKernel<'batchNormTraining'> = ({ x, scale, offset }, { eps }, gpu) => {
  const { N, C, S } = planes(x.shape);
  const y = gpu.alloc(numel(x.shape), 'batchNormTraining');
  const mean = gpu.alloc(C, 'batchNormTraining'), variance = gpu.alloc(C, 'batchNormTraining');
  const def = rowNormForwardDef('batchNormTraining', 'g', !!scale, !!offset);
  const inputs = [x.data, ...(scale ? [scale.data] : []), ...(offset ? [offset.data] : [])];
  gpu.run(def, inputs, [y, mean, variance], rowUniforms({ segments: N, segLen: S, segStride: C * S, rowStride: S }, eps), C);
  return [y, mean, variance];
};
