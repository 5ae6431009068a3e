import type { CpuKernel } from '../backend.js';
import { avgWindows } from '../util/pool.js';
import { sizeOf } from '../util/shape.js';

/**
 * Average pooling (dilation 1, as PyTorch's avg_pool2d has none). Divisor, PyTorch's rule: with
 * countIncludePad the window's extent clipped only to the padded input (so a ceilMode window that
 * runs past the bottom/right padding counts just the part inside it), otherwise the number of input
 * elements in the window.
 */
export const avgPool2d: CpuKernel<'avgPool2d'> = ({ x }, { geometry: g, countIncludePad }) => {
  const xd = x.data;
  const H = g.inHeight, W = g.inWidth, OH = g.outHeight, OW = g.outWidth;
  const rows = avgWindows(OH, H, g.kernelHeight, g.strideHeight, g.padTop, g.padBottom);
  const cols = avgWindows(OW, W, g.kernelWidth, g.strideWidth, g.padLeft, g.padRight);
  const y = new Float32Array(sizeOf(g.yShape));
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    let o = p * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const hs = rows[3 * oh]!, he = rows[3 * oh + 1]!, hExt = rows[3 * oh + 2]!;
      const rowStart = xo + hs * W, rowEnd = xo + he * W;
      for (let ow = 0; ow < OW; ow++, o++) {
        const ws = cols[3 * ow]!, we = cols[3 * ow + 1]!;
        let s = 0;
        for (let r = rowStart; r < rowEnd; r += W) {
          for (let k = r + ws, e = r + we; k < e; k++) s += xd[k]!;
        }
        const divisor = countIncludePad ? hExt * cols[3 * ow + 2]! : (he - hs) * (we - ws);
        y[o] = s / divisor;
      }
    }
  }
  return { data: y, shape: g.yShape.slice() };
};
