import type { CpuKernel } from '../backend.js';
import { normBackwardRange } from '../util/stats.js';

/**
 * Layer norm gradient per row (r = 1/sqrt(var + eps), x̂ = (x − μ)·r, g = dy·weight, L = rowSize):
 *   dx = r·(g − mean(g) − x̂·mean(g·x̂)),  dweight[j] = Σ_rows dy·x̂,  dbias[j] = Σ_rows dy.
 * weight absent means 1 (dweight/dbias are still returned).
 */
export const layerNormBackward: CpuKernel<'layerNormBackward'> = ({ dy, x, mean, variance, weight }, { rowSize, eps }) => {
  const xd = x.data, dyd = dy.data, md = mean.data, vd = variance.data, wd = weight?.data;
  const L = rowSize;
  const rows = xd.length / L;
  const dx = new Float32Array(xd.length);
  const dw = new Float64Array(L), db = new Float64Array(L);
  for (let row = 0, o = 0; row < rows; row++, o += L) {
    const mu = md[row]!;
    const r = 1 / Math.sqrt(vd[row]! + eps);
    // One pass: the row sums Σg, Σg·(x − μ) and the parameter-gradient contributions.
    let sumG = 0, sumGXc = 0;
    for (let j = 0; j < L; j++) {
      const d = dyd[o + j]!, xc = xd[o + j]! - mu;
      const g = wd === undefined ? d : d * wd[j]!;
      sumG += g;
      sumGXc += g * xc;
      db[j]! += d;
      dw[j]! += d * xc * r;
    }
    const c0 = (r * sumG) / L, c1 = (r * r * r * sumGXc) / L;
    if (wd === undefined) {
      normBackwardRange(dyd, xd, dx, o, o + L, mu, r, c0, c1);
    } else {
      const c = c0 - mu * c1;
      for (let j = 0; j < L; j++) dx[o + j] = r * wd[j]! * dyd[o + j]! - xd[o + j]! * c1 - c;
    }
  }
  return [
    dx,
    Float32Array.from(dw),
    Float32Array.from(db),
  ];
};
