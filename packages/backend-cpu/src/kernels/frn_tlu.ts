import type { CpuKernel } from '../backend.js';
import { affineRange, sumSquaresRange } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/**
 * FRN then TLU in one pass per (n, c) plane (inference: ν² is not kept):
 * y = max(weight[c]·x/√(ν² + |eps|) + bias[c], tau[c]); NaN propagates (torch.maximum).
 */
export const frnTlu: CpuKernel<'frnTlu'> = ({ x, eps, tau, weight, bias }) => {
  const C = x.shape[1]!, S = spatialSize(x.shape);
  const planes = x.shape[0]! * C;
  const xd = x.data, td = tau.data, wd = weight?.data, bd = bias?.data;
  const absEps = Math.abs(eps.data[0]!);
  const y = new Float32Array(xd.length);
  for (let p = 0, o = 0; p < planes; p++, o += S) {
    const c = p % C;
    const a = (wd ? wd[c]! : 1) / Math.sqrt(sumSquaresRange(xd, o, o + S) / S + absEps);
    affineRange(xd, y, o, o + S, a, bd ? bd[c]! : 0);
    const t = td[c]!;
    for (let i = o, e = o + S; i < e; i++) {
      const v = y[i]!;
      y[i] = v > t || v !== v ? v : t;
    }
  }
  return y;
};
