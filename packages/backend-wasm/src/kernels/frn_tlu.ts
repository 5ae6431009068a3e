import type { WasmKernel } from '../backend.js';
import { channelAffine, planes, ptr } from '../ops.js';

/** FRN with the TLU max(·, tau[c]) applied in the same pass. */
export const frnTlu: WasmKernel<'frnTlu'> = ({ x, eps, tau, weight, bias }, _attrs, be) => {
  const { N, C, S } = planes(x.shape);
  const nu2 = be.scratch(N * C * 4);
  be.exec('meanSquare', [x.data.ptr, nu2.ptr, S], N * C, S * 2);
  const y = channelAffine(be, x.data, x.shape, {
    mean: 0, variance: nu2.ptr, eps: 0, epsPtr: eps.data.ptr, scale: ptr(weight), offset: ptr(bias), tau: tau.data.ptr, relu: false,
    statsPerN: C, chPerStat: 1,
  });
  be.release(nu2);
  return y;
};
