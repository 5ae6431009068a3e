import type { WasmKernel } from '../backend.js';
import { channelAffine, ptr } from '../ops.js';

export const batchNormInference: WasmKernel<'batchNormInference'> = ({ x, mean, variance, scale, offset }, attrs, be) =>
  channelAffine(be, x.data, x.shape, {
    mean: mean.data.ptr, variance: variance.data.ptr, eps: attrs.eps, epsPtr: 0, scale: ptr(scale), offset: ptr(offset),
    tau: 0, relu: false, statsPerN: 0, chPerStat: 1,
  });
