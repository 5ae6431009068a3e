import type { CpuKernel } from '../backend.js';
import { avgWindows } from '../util/pool.js';
import { sizeOf } from '../util/shape.js';

/** Spreads dy[o] / divisor over window o's input elements (same windows and divisor as avgPool2d). */
export const avgPool2dBackward: CpuKernel<'avgPool2dBackward'> = ({ dy }, { geometry: g, countIncludePad }) => {
  const dyd = dy.data;
  const H = g.inHeight, W = g.inWidth, OH = g.outHeight, OW = g.outWidth;
  const rows = avgWindows(OH, H, g.kernelHeight, g.strideHeight, g.padTop, g.padBottom);
  const cols = avgWindows(OW, W, g.kernelWidth, g.strideWidth, g.padLeft, g.padRight);
  const dx = new Float32Array(sizeOf(g.xShape));
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    let o = p * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const hs = rows[3 * oh]!, he = rows[3 * oh + 1]!, hExt = rows[3 * oh + 2]!;
      const rowStart = xo + hs * W, rowEnd = xo + he * W;
      for (let ow = 0; ow < OW; ow++, o++) {
        const ws = cols[3 * ow]!, we = cols[3 * ow + 1]!;
        const divisor = countIncludePad ? hExt * cols[3 * ow + 2]! : (he - hs) * (we - ws);
        const v = dyd[o]! / divisor;
        for (let r = rowStart; r < rowEnd; r += W) {
          for (let k = r + ws, e = r + we; k < e; k++) dx[k]! += v;
        }
      }
    }
  }
  return { data: dx, shape: g.xShape.slice() };
};
