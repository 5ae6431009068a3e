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
      const start = xo + origin[i]!, rowEnd = start + height[i]! * W, wd = width[i]!;
      const v = dyd[o]! / divisor[i]!;
      for (let r = start; r < rowEnd; r += W) {
        for (let k = r, e = r + wd; k < e; k++) dx[k]! += v;
      }
    }
  }
  return { data: dx, shape: g.xShape.slice() };
};
