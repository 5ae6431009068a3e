import type { CpuKernel } from '../backend.js';
import { avgPoolPlan } from '../util/pool.js';
import { sizeOf } from '../util/shape.js';

/** Spreads dy[o] / divisor over window o's input elements (same windows and divisor as avgPool2d). */
export const avgPool2dBackward: CpuKernel<'avgPool2dBackward'> = ({ dy }, { geometry: g, countIncludePad }) => {
  const dyd = dy.data;
  const W = g.inWidth, HW = g.inHeight * W, OHW = g.outHeight * g.outWidth;
  const { origin, height, width, divisor } = avgPoolPlan(g, countIncludePad);
  const dx = new Float32Array(sizeOf(g.xShape));
  const planes = g.batch * g.channels;
  for (let p = 0, o = 0; p < planes; p++) {
    const xo = p * HW;
    for (let i = 0; i < OHW; i++, o++) {
      const start = xo + origin[i]!, ht = height[i]!, wd = width[i]!;
      const v = dyd[o]! / divisor[i]!;
      if (ht === 2 && wd === 2) {
        // the common 2×2 window, unrolled
        dx[start]! += v;
        dx[start + 1]! += v;
        dx[start + W]! += v;
        dx[start + W + 1]! += v;
      } else {
        for (let r = start, rowEnd = start + ht * W; r < rowEnd; r += W) {
          for (let k = r, e = r + wd; k < e; k++) dx[k]! += v;
        }
      }
    }
  }
  return dx;
};
