import type { CpuKernel } from '../backend.js';
import { accumulateDySums, normBackwardRange } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/**
 * Group norm gradient. Per (n, g) block of M = (C/G)·spatial elements, with r = 1/sqrt(var + eps),
 * x̂ = (x − μ)·r and g = dy·weight[c]:
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dweight[c] = Σ_{n,s} dy·x̂,  dbias[c] = Σ_{n,s} dy.
 * Per-channel sums Σdy, Σdy·(x − μ) feed both the block sums (weighted by weight[c]) and dweight/dbias.
 */
export const groupNormBackward: CpuKernel<'groupNormBackward'> = ({ dy, x, mean, variance, weight }, { numGroups, eps }) => {
  const N = x.shape[0]!, C = x.shape[1]!, S = spatialSize(x.shape);
  const G = numGroups, Cg = C / G, blockLen = Cg * S;
  const xd = x.data, dyd = dy.data, md = mean.data, vd = variance.data, wd = weight?.data;
  const dx = new Float32Array(xd.length);
  const dw = new Float64Array(C), db = new Float64Array(C);
  const acc = new Float64Array(2);
  for (let ng = 0; ng < N * G; ng++) {
    const base = ng * blockLen;
    const mu = md[ng]!;
    const r = 1 / Math.sqrt(vd[ng]! + eps);
    const cFirst = (ng % G) * Cg;
    let sumG = 0, sumGXc = 0;
    for (let ci = 0; ci < Cg; ci++) {
      const c = cFirst + ci;
      const o = base + ci * S;
      acc[0] = 0;
      acc[1] = 0;
      accumulateDySums(dyd, xd, o, o + S, mu, acc);
      const sDy = acc[0]!, sDyXc = acc[1]!;
      db[c]! += sDy;
      dw[c]! += sDyXc * r;
      const wc = wd ? wd[c]! : 1;
      sumG += wc * sDy;
      sumGXc += wc * sDyXc;
    }
    const c0 = (r * sumG) / blockLen, c1 = (r * r * r * sumGXc) / blockLen;
    for (let ci = 0; ci < Cg; ci++) {
      const o = base + ci * S;
      const k = (wd ? wd[cFirst + ci]! : 1) * r;
      normBackwardRange(dyd, xd, dx, o, o + S, mu, k, c0, c1);
    }
  }
  return [
    dx,
    Float32Array.from(dw),
    Float32Array.from(db),
  ];
};
