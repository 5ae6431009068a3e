import type { CpuKernel } from '../backend.js';
import { gemm } from '../gemm.js';
import { colBuffer, im2col, isPointwiseIdentity } from '../im2col.js';
import { directConv2d, directWorthIt } from '../direct.js';
import { rowConv2d, rowConvWorthIt } from '../rowconv.js';
import { winogradConv3x3, winogradWeights, winogradWorthIt } from '../winograd.js';

/**
 * 2-d cross-correlation, NCHW / OIHW, any stride, dilation, 4-sided padding and groups:
 * y[n, o, oy, ox] = b[o] + Σ_{c, ky, kx} x[n, g·Cg + c, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw] · w[o, c, ky, kx].
 *
 * 3×3 stride-1 layers with enough channels use Winograd F(4×4, 3×3); everything else is one GEMM per
 * image and group: y[g] = W[g] (Og × Cg·kh·kw) · im2col(x[g]) (Cg·kh·kw × OH·OW), except that layers
 * with a small reduction Cg·kh·kw (LeNet's 5×5 layers, depthwise) run the direct method of direct.ts,
 * and the tiniest stride-1 ones (C·kh·kw ≤ 32: LeNet's first layer) the row-direct loop of rowconv.ts.
 */
export const conv2d: CpuKernel<'conv2d'> = ({ x, w, b }, { geometry: g }) => {
  const xd = x.data, wd = w.data, bd = b ? b.data : null;
  const N = g.batch, C = g.inChannels, O = g.outChannels, G = g.groups;
  const cg = C / G, og = O / G;
  const OH = g.outHeight, OW = g.outWidth, P = OH * OW;
  const y = new Float32Array(N * O * P);
  if (y.length === 0) return y;

  if (
    g.kernelHeight === 3 && g.kernelWidth === 3 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.dilationHeight === 1 && g.dilationWidth === 1 && winogradWorthIt(cg, og, OH, OW) &&
    // a window lying wholly in the padding must give exactly b[o]; Winograd would leave ~1e-16 residue
    Math.max(g.padTop, g.padBottom, g.padLeft, g.padRight) <= 2
  ) {
    const u = winogradWeights(wd, O, cg, G, false);
    winogradConv3x3(xd, N, C, g.inHeight, g.inWidth, u, O, G, OH, OW, g.padTop, g.padLeft, bd, y);
    return y;
  }

  const direct = isPointwiseIdentity(g);
  if (
    !direct && G === 1 && g.strideHeight === 1 && g.strideWidth === 1 && g.dilationHeight === 1 &&
    g.dilationWidth === 1 && rowConvWorthIt(C, g.kernelHeight, g.kernelWidth, O)
  ) {
    rowConv2d(xd, N, C, g.inHeight, g.inWidth, wd, O, g.kernelHeight, g.kernelWidth, false, bd, g.padTop, g.padLeft, OH, OW, y);
    return y;
  }
  if (!direct && directWorthIt(cg, g.kernelHeight, g.kernelWidth)) {
    directConv2d(xd, wd, bd, y, g);
    return y;
  }

  const K = cg * g.kernelHeight * g.kernelWidth;
  const HW = g.inHeight * g.inWidth;
  const col = direct ? null : colBuffer(K * P);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < G; grp++) {
      const xOff = (n * C + grp * cg) * HW;
      const yOff = (n * O + grp * og) * P;
      const wOff = grp * og * K;
      if (col === null) {
        gemm(og, P, K, wd, wOff, K, 1, xd, xOff, HW, 1, y, yOff, P, false);
      } else {
        im2col(xd, xOff, cg, g, col);
        gemm(og, P, K, wd, wOff, K, 1, col, 0, P, 1, y, yOff, P, false);
      }
    }
    if (bd !== null) {
      for (let o = 0; o < O; o++) {
        const bo = bd[o];
        const s = (n * O + o) * P;
        for (let p = 0; p < P; p++) y[s + p] += bo;
      }
    }
  }
  return y;
};
