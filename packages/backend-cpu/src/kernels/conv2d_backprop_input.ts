import type { CpuKernel } from '../backend.js';
import { gemm } from '../gemm.js';
import { col2im, colBuffer, isPointwiseIdentity } from '../im2col.js';
import { directConv2dBackpropInput, directConv2dBackpropInputScatter, directWorthIt } from '../direct.js';
import { rowConv2d, rowConvWorthIt } from '../rowconv.js';
import { winogradConv3x3, winogradWeights, winogradWorthIt } from '../winograd.js';

/**
 * dx of conv2d given dy and w (shape geometry.xShape):
 * dx[n, g·Cg + c, iy, ix] = Σ dy[n, o, oy, ox] · w[o, c, ky, kx] over iy = oy·sh − pt + ky·dh (likewise x).
 *
 * 3×3 stride-1 layers run as a Winograd correlation of dy with the transposed, flipped filter
 * (padding 2 − pt); the tiniest stride-1 layers (C·kh·kw ≤ 32) the row-direct loop of rowconv.ts on
 * the same correlation; layers with a small Cg·kh·kw run the direct methods of direct.ts (the same
 * correlation for stride-1 "same"-like layers, else a batched col2im of Wᵀ · dy tiles); everything
 * else is col2im(W[g]ᵀ · dy[g]) per image and group.
 */
export const conv2dBackpropInput: CpuKernel<'conv2dBackpropInput'> = ({ dy, w }, { geometry: g }) => {
  const dyd = dy.data, wd = w.data;
  const N = g.batch, C = g.inChannels, O = g.outChannels, G = g.groups;
  const cg = C / G, og = O / G;
  const H = g.inHeight, W = g.inWidth, HW = H * W;
  const OH = g.outHeight, OW = g.outWidth, P = OH * OW;
  const dx = new Float32Array(N * C * HW);
  if (dx.length === 0) return dx;

  if (
    g.kernelHeight === 3 && g.kernelWidth === 3 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.dilationHeight === 1 && g.dilationWidth === 1 && winogradWorthIt(og, cg, H, W)
  ) {
    const u = winogradWeights(wd, O, cg, G, true);
    winogradConv3x3(dyd, N, O, OH, OW, u, C, G, H, W, 2 - g.padTop, 2 - g.padLeft, null, dx);
    return dx;
  }

  const pointwise = isPointwiseIdentity(g);
  if (
    !pointwise && G === 1 && g.strideHeight === 1 && g.strideWidth === 1 && g.dilationHeight === 1 &&
    g.dilationWidth === 1 && rowConvWorthIt(C, g.kernelHeight, g.kernelWidth, O)
  ) {
    // correlation of dy with the transposed, flipped filter, padding k − 1 − p, summing over O
    const kh = g.kernelHeight, kw = g.kernelWidth;
    rowConv2d(dyd, N, O, OH, OW, wd, C, kh, kw, true, null, kh - 1 - g.padTop, kw - 1 - g.padLeft, H, W, dx);
    return dx;
  }
  if (!pointwise && directWorthIt(cg, g.kernelHeight, g.kernelWidth)) {
    // stride 1 with little padding waste: correlate dy with the flipped filter; otherwise scatter
    const stride1 = g.strideHeight === 1 && g.strideWidth === 1;
    if (stride1 && HW <= 1.3 * P && directWorthIt(og, g.kernelHeight, g.kernelWidth)) {
      directConv2dBackpropInput(dyd, wd, dx, g);
    } else {
      directConv2dBackpropInputScatter(dyd, wd, dx, g);
    }
    return dx;
  }

  const K = cg * g.kernelHeight * g.kernelWidth;
  if (pointwise) {
    // dx[g] = W[g]ᵀ · dy[g] directly (the column matrix is dx itself)
    for (let n = 0; n < N; n++) {
      for (let grp = 0; grp < G; grp++) {
        gemm(cg, P, og, wd, grp * og * K, 1, K, dyd, (n * O + grp * og) * P, P, 1, dx, (n * C + grp * cg) * HW, HW, false);
      }
    }
    return dx;
  }
  const col = colBuffer(K * P);
  for (let n = 0; n < N; n++) {
    for (let grp = 0; grp < G; grp++) {
      // dcol (K × P) = W[g]ᵀ (K × Og) · dy[g] (Og × P)
      gemm(K, P, og, wd, grp * og * K, 1, K, dyd, (n * O + grp * og) * P, P, 1, col, 0, P, false);
      col2im(col, cg, g, dx, (n * C + grp * cg) * HW);
    }
  }
  return dx;
};
