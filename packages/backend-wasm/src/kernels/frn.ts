import type { WasmKernel } from '../backend.js';
import { channelAffine, planes, ptr } from '../ops.js';

/** nu2 = mean(x²) per plane, y = weight·x/sqrt(nu2 + |eps|) + bias. */
export const frn: WasmKernel<'frn'> = ({ x, eps, weight, bias }, _attrs, be) => {
  const { N, C, S } = planes(x.shape);
  const nu2 = be.alloc(N * C);
  be.exec('meanSquare', [x.data.ptr, nu2.ptr, S], N * C, S * 2);
  const y = channelAffine(be, x.data, x.shape, {
    mean: 0, variance: nu2.ptr, eps: 0, epsPtr: eps.data.ptr, scale: ptr(weight), offset: ptr(bias), tau: 0, relu: false,
    statsPerN: C, chPerStat: 1,
  });
  return [y, nu2];
};
