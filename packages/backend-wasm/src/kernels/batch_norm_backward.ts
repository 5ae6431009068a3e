import type { WasmKernel } from '../backend.js';
import { channelNormGrad, ptr } from '../ops.js';

/** Training-mode gradient (the statistics depend on x). */
export const batchNormBackward: WasmKernel<'batchNormBackward'> = ({ dy, x, mean, variance, scale }, { eps }, be) => {
  const g = channelNormGrad(be, dy.data, x.data, x.shape, {
    mean: mean.data.ptr, variance: variance.data.ptr, eps, epsPtr: 0, weight: ptr(scale), statsPerN: 0, chPerStat: 1,
  });
  return [g.dx, g.dweight, g.dbias];
};
