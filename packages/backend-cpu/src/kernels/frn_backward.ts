import type { CpuKernel } from '../backend.js';
import { accumulateDySums, normBackwardRange } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/**
 * FRN gradient. Per (n, c) plane of S elements, r = (ν² + |eps|)^(-1/2), ν² = mean(x²):
 *   dx = w·r·(dy − x·r²·Σ(dy·x)/S),  dweight[c] = Σ dy·x·r,  dbias[c] = Σ dy,
 *   deps = Σ_{n,c} w·Σ(dy·x)·(−r³/2)·sign(eps)   (d|eps|/d eps = sign(eps), 0 at eps = 0).
 */
export const frnBackward: CpuKernel<'frnBackward'> = ({ dy, x, nu2, eps, weight }) => {
  const C = x.shape[1]!, S = spatialSize(x.shape);
  const planes = x.shape[0]! * C;
  const xd = x.data, dyd = dy.data, nd = nu2.data, wd = weight?.data;
  const e = eps.data[0]!;
  const absEps = Math.abs(e);
  const dx = new Float32Array(xd.length);
  const dw = new Float64Array(C), db = new Float64Array(C);
  const acc = new Float64Array(2);
  let dEps = 0;
  for (let p = 0, o = 0; p < planes; p++, o += S) {
    const c = p % C;
    const r = 1 / Math.sqrt(nd[p]! + absEps);
    acc[0] = 0;
    acc[1] = 0;
    accumulateDySums(dyd, xd, o, o + S, 0, acc);
    const sDy = acc[0]!, sDyX = acc[1]!;
    const wc = wd ? wd[c]! : 1;
    db[c]! += sDy;
    dw[c]! += sDyX * r;
    dEps += wc * sDyX * r * r * r;
    const k = wc * r;
    normBackwardRange(dyd, xd, dx, o, o + S, 0, k, 0, (k * r * r * sDyX) / S);
  }
  const deps = new Float32Array(1);
  deps[0] = -0.5 * dEps * Math.sign(e);
  return [
    dx,
    Float32Array.from(dw),
    Float32Array.from(db),
    deps,
  ];
};
