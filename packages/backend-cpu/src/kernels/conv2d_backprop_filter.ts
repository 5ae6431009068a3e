import type { CpuKernel } from '../backend.js';
import { gemm } from '../gemm.js';
import { directConv2dBackpropFilter, directWorthIt } from '../direct.js';
import { rowConv2dBackpropFilter, rowConvWorthIt } from '../rowconv.js';
import { colBuffer, im2col, isPointwiseIdentity } from '../im2col.js';

/**
 * dw of conv2d given x and dy (shape geometry.wShape):
 * dw[o, c, ky, kx] = Σ_{n, oy, ox} dy[n, o, oy, ox] · x[n, g·Cg + c, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw].
 * Per image and group: dW[g] (Og × Cg·kh·kw) += dy[g] (Og × P) · im2col(x[g])ᵀ (P × Cg·kh·kw); layers
 * with a small Cg·kh·kw (LeNet's 5×5 layers, depthwise) run the direct method of direct.ts instead,
 * and the tiniest stride-1 ones (C·kh·kw ≤ 32, kw = 5) the row-direct loop of rowconv.ts.
 */
export const conv2dBackpropFilter: CpuKernel<'conv2dBackpropFilter'> = ({ x, dy }, { geometry: g }) => {
  const xd = x.data, dyd = dy.data;
  const N = g.batch, C = g.inChannels, O = g.outChannels, G = g.groups;
  const cg = C / G, og = O / G;
  const HW = g.inHeight * g.inWidth;
  const P = g.outHeight * g.outWidth;
  const K = cg * g.kernelHeight * g.kernelWidth;
  const dw = new Float32Array(O * K);
  if (dw.length === 0 || P === 0 || N === 0) return dw;
  const direct = isPointwiseIdentity(g);
  if (
    !direct && G === 1 && g.strideHeight === 1 && g.strideWidth === 1 && g.dilationHeight === 1 &&
    g.dilationWidth === 1 && g.kernelWidth === 5 &&
    rowConvWorthIt(C, g.kernelHeight, g.kernelWidth, O)
  ) {
    rowConv2dBackpropFilter(xd, dyd, N, C, g.inHeight, g.inWidth, O, g.kernelHeight, g.kernelWidth,
      g.padTop, g.padLeft, g.outHeight, g.outWidth, dw);
    return dw;
  }
  if (!direct && directWorthIt(cg, g.kernelHeight, g.kernelWidth)) {
    directConv2dBackpropFilter(xd, dyd, dw, g);
    return dw;
  }
  const col = direct ? null : colBuffer(K * P);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < G; grp++) {
      const xOff = (n * C + grp * cg) * HW;
      const dyOff = (n * O + grp * og) * P;
      if (col === null) {
        gemm(og, K, P, dyd, dyOff, P, 1, xd, xOff, 1, HW, dw, grp * og * K, K, true);
      } else {
        im2col(xd, xOff, cg, g, col);
        gemm(og, K, P, dyd, dyOff, P, 1, col, 0, 1, P, dw, grp * og * K, K, true);
      }
    }
  }
  return dw;
};
