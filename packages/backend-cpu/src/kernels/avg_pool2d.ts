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
      const start = xo + origin[i]!, ht = height[i]!, wd = width[i]!;
      let s: number;
      if (ht === 2 && wd === 2) {
        // the common 2×2 window, unrolled (the branch is predictable: interior windows all take it)
        s = (xd[start]! + xd[start + 1]!) + (xd[start + W]! + xd[start + W + 1]!);
      } else if (ht === 3 && wd === 3) {
        const r1 = start + W, r2 = r1 + W;
        s = (xd[start]! + xd[start + 1]! + xd[start + 2]!) + (xd[r1]! + xd[r1 + 1]! + xd[r1 + 2]!) + (xd[r2]! + xd[r2 + 1]! + xd[r2 + 2]!);
      } else {
        s = 0;
        for (let r = start, rowEnd = start + ht * W; r < rowEnd; r += W) {
          for (let k = r, e = r + wd; k < e; k++) s += xd[k]!;
        }
      }
      y[o] = s / divisor[i]!;
    }
  }
  return y;
};
