import type { CpuKernel } from '../backend.js';
import { avgPoolPlan } from '../util/pool.js';
import { sizeOf } from '../util/shape.js';

/**
 * Average pooling (dilation 1, as PyTorch's avg_pool2d has none). Divisor, PyTorch's rule: with
 * countIncludePad the window's extent clipped only to the padded input (so a ceilMode window that
 * runs past the bottom/right padding counts just the part inside it), otherwise the number of input
 * elements in the window.
 */
export const avgPool2d: CpuKernel<'avgPool2d'> = ({ x }, { geometry: g, countIncludePad }) => {
  const xd = x.data;
  const W = g.inWidth, HW = g.inHeight * W, OHW = g.outHeight * g.outWidth;
  const { origin, height, width, divisor } = avgPoolPlan(g, countIncludePad);
  const y = new Float32Array(sizeOf(g.yShape));
  const planes = g.batch * g.channels;
  for (let p = 0, o = 0; p < planes; p++) {
    const xo = p * HW;
    for (let i = 0; i < OHW; i++, o++) {
      const start = xo + origin[i]!, rowEnd = start + height[i]! * W, wd = width[i]!;
      let s = 0;
      for (let r = start; r < rowEnd; r += W) {
        for (let k = r, e = r + wd; k < e; k++) s += xd[k]!;
      }
      y[o] = s / divisor[i]!;
    }
  }
  return { data: y, shape: g.yShape.slice() };
};
