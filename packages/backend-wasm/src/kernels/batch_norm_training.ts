import type { WasmKernel } from '../backend.js';
import { channelAffine, meanVar, planes, ptr } from '../ops.js';

/** Per-channel statistics over N and space (two passes), then the affine normalization. */
export const batchNormTraining: WasmKernel<'batchNormTraining'> = ({ x, scale, offset }, { eps }, be) => {
  const { N, C, S } = planes(x.shape);
  const [mean, variance] = meanVar(be, x.data, C, S, N, C * S, S);
  const y = channelAffine(be, x.data, x.shape, {
    mean: mean.ptr, variance: variance.ptr, eps, epsPtr: 0, scale: ptr(scale), offset: ptr(offset), tau: 0, relu: false,
    statsPerN: 0, chPerStat: 1,
  });
  return [y, mean, variance];
};
