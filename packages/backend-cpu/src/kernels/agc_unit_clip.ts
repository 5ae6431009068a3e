import type { CpuKernel } from '../backend.js';
import { sumSquaresRange } from '../util/stats.js';

/**
 * AGC unit clip on param/grad seen as [units, unitSize] (norms in float64):
 * maxNorm = clipping·max(‖W_u‖, eps); where ‖G_u‖ > maxNorm, G_u ← G_u·maxNorm/max(‖G_u‖, 1e-6).
 */
export const agcUnitClip: CpuKernel<'agcUnitClip'> = ({ param, grad }, { units, unitSize, clipping, eps }) => {
  const pd = param.data, gd = grad.data;
  const out = gd.slice();
  for (let u = 0, o = 0; u < units; u++, o += unitSize) {
    const maxNorm = clipping * Math.max(Math.sqrt(sumSquaresRange(pd, o, o + unitSize)), eps);
    const gradNorm = Math.sqrt(sumSquaresRange(gd, o, o + unitSize));
    if (gradNorm > maxNorm) {
      const scale = maxNorm / Math.max(gradNorm, 1e-6);
      for (let i = o, e = o + unitSize; i < e; i++) out[i] = gd[i]! * scale;
    }
  }
  return out;
};
