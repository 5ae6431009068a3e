import type { WasmKernel } from '../backend.js';
import { channelNormGrad, planes, ptr } from '../ops.js';

export const frnBackward: WasmKernel<'frnBackward'> = ({ dy, x, nu2, eps, weight }, _attrs, be) => {
  const { C } = planes(x.shape);
  const g = channelNormGrad(be, dy.data, x.data, x.shape, {
    mean: 0, variance: nu2.data.ptr, eps: 0, epsPtr: eps.data.ptr, weight: ptr(weight), statsPerN: C, chPerStat: 1,
  });
  return [g.dx, g.dweight, g.dbias, g.deps!];
};
