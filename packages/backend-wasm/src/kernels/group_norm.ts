import type { WasmKernel } from '../backend.js';
import { channelAffine, meanVar, planes, ptr } from '../ops.js';

export const groupNorm: WasmKernel<'groupNorm'> = ({ x, weight, bias }, { numGroups, eps }, be) => {
  const { N, C, S } = planes(x.shape);
  const len = (C / numGroups) * S;
  const [mean, variance] = meanVar(be, x.data, N * numGroups, len, 1, 0, len);
  const y = channelAffine(be, x.data, x.shape, {
    mean: mean.ptr, variance: variance.ptr, eps, epsPtr: 0, scale: ptr(weight), offset: ptr(bias), tau: 0, relu: false,
    statsPerN: numGroups, chPerStat: C / numGroups,
  });
  return [y, mean, variance];
};
