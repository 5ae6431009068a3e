import type { CpuKernel } from '../backend.js';
import { affineRange, sumSquaresRange } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/**
 * Filter response normalization (DESIGN §3) on x [N, C, ...spatial]: ν² = mean(x²) over spatial
 * per (n, c) (float64), y = weight[c]·x / sqrt(ν² + |eps|) + bias[c]; eps is a 1-element tensor.
 * Outputs y and ν² [N·C] (index n·C + c).
 */
export const frn: CpuKernel<'frn'> = ({ x, eps, weight, bias }) => {
  const C = x.shape[1]!, S = spatialSize(x.shape);
  const planes = x.shape[0]! * C;
  const xd = x.data, wd = weight?.data, bd = bias?.data;
  const absEps = Math.abs(eps.data[0]!);
  const y = new Float32Array(xd.length);
  const nu2 = new Float32Array(planes);
  for (let p = 0, o = 0; p < planes; p++, o += S) {
    const c = p % C;
    const m2 = sumSquaresRange(xd, o, o + S) / S;
    nu2[p] = m2;
    const a = (wd ? wd[c]! : 1) / Math.sqrt(m2 + absEps);
    affineRange(xd, y, o, o + S, a, bd ? bd[c]! : 0);
  }
  return [
    y,
    nu2,
  ];
};
