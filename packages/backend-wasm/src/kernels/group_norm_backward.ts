import type { WasmKernel } from '../backend.js';
import { channelNormGrad, planes, ptr } from '../ops.js';

export const groupNormBackward: WasmKernel<'groupNormBackward'> = ({ dy, x, mean, variance, weight }, { numGroups, eps }, be) => {
  const { C } = planes(x.shape);
  const g = channelNormGrad(be, dy.data, x.data, x.shape, {
    mean: mean.data.ptr, variance: variance.data.ptr, eps, epsPtr: 0, weight: ptr(weight), statsPerN: numGroups, chPerStat: C / numGroups,
  });
  return [g.dx, g.dweight, g.dbias];
};
