import type { CpuKernel } from '../backend.js';
import { accumulateDySums, normBackwardRange } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/**
 * Training-mode batch norm gradient (mean/variance are the batch statistics the forward used, so
 * they depend on x): with r = 1/sqrt(var + eps), x̂ = (x − μ)·r, M = N·spatial,
 *   dx = scale·r·(dy − mean(dy) − x̂·mean(dy·x̂)),  dscale = Σ dy·x̂,  doffset = Σ dy.
 * scale absent means 1 (dscale is still returned).
 */
export const batchNormBackward: CpuKernel<'batchNormBackward'> = ({ dy, x, mean, variance, scale }, { eps }) => {
  const N = x.shape[0]!, C = x.shape[1]!, S = spatialSize(x.shape);
  const M = N * S;
  const xd = x.data, dyd = dy.data, md = mean.data, vd = variance.data, sd = scale?.data;
  const dx = new Float32Array(xd.length);
  const dscale = new Float32Array(C), doffset = new Float32Array(C);
  const acc = new Float64Array(2);
  const planeStride = C * S;
  for (let c = 0; c < C; c++) {
    const mu = md[c]!;
    const r = 1 / Math.sqrt(vd[c]! + eps);
    acc[0] = 0;
    acc[1] = 0;
    for (let n = 0, o = c * S; n < N; n++, o += planeStride) accumulateDySums(dyd, xd, o, o + S, mu, acc);
    const sumDy = acc[0]!, sumDyXc = acc[1]!;
    doffset[c] = sumDy;
    dscale[c] = sumDyXc * r;
    const k = (sd ? sd[c]! : 1) * r;
    const c0 = (k * sumDy) / M;
    const c1 = (k * r * r * sumDyXc) / M;
    for (let n = 0, o = c * S; n < N; n++, o += planeStride) normBackwardRange(dyd, xd, dx, o, o + S, mu, k, c0, c1);
  }
  return [
    dx,
    dscale,
    doffset,
  ];
};
