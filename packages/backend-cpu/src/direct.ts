/**
 * Direct (im2col-free) convolution for layers with a small reduction (Cg·kh·kw), such as LeNet's
 * 5×5 layers, and for depthwise / small-group layers.
 *
 * The input is copied once into a zero-bordered float64 buffer (so the inner loops have no bounds
 * tests and no float32 → float64 conversion), laid out [N][C][Hp][Wp]. Every tap (c, ky, kx) of a
 * group is then a fixed offset into that buffer, and every output pixel q = (n, oy, ox) a base
 * offset: x-term(q, tap) = xp[xBase[q] + tapOff[tap]]. With those two tables the convolution is a
 * GEMM batched over all N·OH·OW pixels whose operands are gathered through the tables (im2col of 8
 * pixels at a time, straight into gemm's packed panel layout, then gemm's 6 × 8 micro-kernel; groups
 * with fewer than 4 output channels, e.g. depthwise, use a 1 × 8 tile reading the padded input in place):
 *
 *   forward:        y[o, q]   = Σ_tap W[o, tap] · xp[xBase[q] + tapOff[tap]]   (6 × 8 or 1 × 8 tiles of o × q)
 *   filter grad:    dW[o, tap] = Σ_q dy[o, q] · xp[xBase[q] + tapOff[tap]]      (6 × 8 or 1 × 8 tiles of o × tap)
 *
 * and the input gradient is either the forward pass applied to dy with the transposed, spatially
 * flipped filter (stride 1, little padding waste) or a batched col2im: tiles of Wᵀ · dy scatter-added
 * through the same tables into a padded float64 dx. Accumulation is float64, as in `gemm`.
 */

import type { Conv2dGeometry } from '@hypercolumn/core';
import { microKernel } from './gemm.js';

const MR = 6;
const NR = 8;

let padScratch = new Float64Array(0);
let xBaseScratch = new Int32Array(0);
let yBaseScratch = new Int32Array(0);
let tapScratch = new Int32Array(0);
let wPack32 = new Float32Array(0);
let wPack64 = new Float64Array(0);
let bPanel = new Float64Array(0);
let aPanel = new Float64Array(0);
let stepScratch = new Int32Array(0);
let wFlipScratch = new Float32Array(0);
let accScratch = new Float64Array(0);
const tile = new Float64Array(MR * NR);

/** The window of a sliding 2-d product, fully resolved: the fields of `Conv2dGeometry` it needs. */
export type DirectGeometry = Pick<
  Conv2dGeometry,
  | 'batch' | 'inChannels' | 'inHeight' | 'inWidth' | 'outChannels' | 'groups' | 'kernelHeight' | 'kernelWidth'
  | 'strideHeight' | 'strideWidth' | 'dilationHeight' | 'dilationWidth' | 'padTop' | 'padLeft' | 'outHeight' | 'outWidth'
>;

/** Whether the direct path should run this layer (small reduction per output; otherwise im2col + GEMM). */
export function directWorthIt(cg: number, kh: number, kw: number): boolean {
  return cg * kh * kw <= 400;
}

interface Layout {
  xp: Float64Array;
  /** pixels (N·OH·OW), the tables padded to a multiple of NR by repeating the last entry */
  pixels: number;
  xBase: Int32Array;
  /** per pixel q = (n, p): n·O·P + p, the output (or dy) offset of channel 0 */
  yBase: Int32Array;
  /** per tap (c, ky, kx) of one group, padded to a multiple of NR by repeating the last entry */
  tapOff: Int32Array;
  taps: number;
  /** Hp·Wp, the padded plane */
  plane: number;
  /** channels per group in and out, output pixels per image */
  cg: number;
  og: number;
  P: number;
  /** output channels per register tile (6, or 1 for groups with fewer than 4) and tiles per group */
  rowsPerBlock: number;
  blocks: number;
}

/**
 * Pads x into the float64 scratch (or, with x = null, zeroes it as an accumulator of that shape) and
 * builds the pixel and tap tables for geometry g.
 */
function layout(x: Float32Array | null, g: DirectGeometry): Layout {
  const N = g.batch, C = g.inChannels, H = g.inHeight, W = g.inWidth;
  const OH = g.outHeight, OW = g.outWidth, P = OH * OW, O = g.outChannels;
  const kh = g.kernelHeight, kw = g.kernelWidth, sh = g.strideHeight, sw = g.strideWidth;
  const dh = g.dilationHeight, dw = g.dilationWidth;
  // rows (cols) of the padded buffer: exactly the extent the windows read; source row = r − padTop
  const Hp = (OH - 1) * sh + (kh - 1) * dh + 1, Wp = (OW - 1) * sw + (kw - 1) * dw + 1;
  const plane = Hp * Wp;
  const size = N * C * plane;
  if (padScratch.length < size) padScratch = new Float64Array(size);
  const xp = padScratch;
  const pt = g.padTop, pl = g.padLeft;
  // source columns landing in [0, Wp): c = s + pl
  const c0 = Math.max(0, pl), c1 = Math.min(Wp, W + pl);
  if (x === null) xp.fill(0, 0, size);
  for (let nc = 0; x !== null && nc < N * C; nc++) {
    const src = nc * H * W, dst = nc * plane;
    for (let r = 0; r < Hp; r++) {
      const sy = r - pt;
      const d = dst + r * Wp;
      if (sy < 0 || sy >= H || c1 <= c0) {
        xp.fill(0, d, d + Wp);
        continue;
      }
      for (let c = 0; c < c0; c++) xp[d + c] = 0;
      for (let c = c0, s = src + sy * W + c0 - pl; c < c1; c++, s++) xp[d + c] = x[s];
      for (let c = c1; c < Wp; c++) xp[d + c] = 0;
    }
  }
  const pixels = N * P;
  const pixPad = Math.ceil(pixels / NR) * NR;
  if (xBaseScratch.length < pixPad) {
    xBaseScratch = new Int32Array(pixPad);
    yBaseScratch = new Int32Array(pixPad);
  }
  const xBase = xBaseScratch, yBase = yBaseScratch;
  let q = 0;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const xb = n * C * plane + oy * sh * Wp;
      const yb = n * O * P + oy * OW;
      for (let ox = 0; ox < OW; ox++, q++) {
        xBase[q] = xb + ox * sw;
        yBase[q] = yb + ox;
      }
    }
  }
  for (; q < pixPad; q++) {
    xBase[q] = xBase[pixels - 1]!;
    yBase[q] = yBase[pixels - 1]!;
  }
  const cg = C / g.groups;
  const taps = cg * kh * kw;
  const tapPad = Math.ceil(taps / NR) * NR;
  if (tapScratch.length < tapPad) tapScratch = new Int32Array(tapPad);
  const tapOff = tapScratch;
  let t = 0;
  for (let c = 0; c < cg; c++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, t++) tapOff[t] = c * plane + ky * dh * Wp + kx * dw;
    }
  }
  for (; t < tapPad; t++) tapOff[t] = tapOff[taps - 1]!;
  const og = O / g.groups;
  const rowsPerBlock = og >= 4 ? MR : 1;
  return { xp, pixels, xBase, yBase, tapOff, taps, plane, cg, og, P, rowsPerBlock, blocks: Math.ceil(og / rowsPerBlock) };
}

/**
 * 1 row × 8 columns for groups with fewer than 4 output channels (depthwise), straight from the padded
 * input: t[j] = Σ_{s ∈ [s0, s1)} a[aIdx[s] + a0] · xp[bIdx[s] + b_j], b_j = lanes[li + j] + add.
 * Forward: s = tap, aIdx[s] = s into the weights, bIdx = tapOff, b_j = pixel bases.
 * Filter gradient: s = pixel, aIdx = yBase into dy, a0 = the dy row, bIdx = xBase, b_j = tap offsets.
 */
function tile1x8(
  s0: number, s1: number, a: Float32Array, aIdx: Int32Array, a0: number, xp: Float64Array, bIdx: Int32Array,
  lanes: Int32Array, li: number, add: number, t: Float64Array,
): void {
  const b0 = lanes[li]! + add, b1 = lanes[li + 1]! + add, b2 = lanes[li + 2]! + add, b3 = lanes[li + 3]! + add;
  const b4 = lanes[li + 4]! + add, b5 = lanes[li + 5]! + add, b6 = lanes[li + 6]! + add, b7 = lanes[li + 7]! + add;
  let c0 = 0.0; let c1 = 0.0; let c2 = 0.0; let c3 = 0.0; let c4 = 0.0; let c5 = 0.0; let c6 = 0.0; let c7 = 0.0;
  for (let s = s0; s < s1; s++) {
    const bi = bIdx[s]!;
    const w = a[aIdx[s]! + a0]!;
    c0 += w * xp[bi + b0]!; c1 += w * xp[bi + b1]!; c2 += w * xp[bi + b2]!; c3 += w * xp[bi + b3]!;
    c4 += w * xp[bi + b4]!; c5 += w * xp[bi + b5]!; c6 += w * xp[bi + b6]!; c7 += w * xp[bi + b7]!;
  }
  t[0] = c0; t[1] = c1; t[2] = c2; t[3] = c3; t[4] = c4; t[5] = c5; t[6] = c6; t[7] = c7;
}

/**
 * The 8-column panel of gemm's packed layout gathered from the padded input:
 * bp[(s − s0)·8 + j] = xp[idx[s] + lanes[li + j] + add] for s ∈ [s0, s1). Forward: s = tap (idx = tapOff)
 * and the lanes are 8 pixel bases; filter gradient: s = pixel (idx = xBase) and the lanes 8 tap offsets.
 */
function gather8(
  xp: Float64Array, idx: Int32Array, s0: number, s1: number, lanes: Int32Array, li: number, add: number, bp: Float64Array,
): void {
  const b0 = lanes[li]! + add, b1 = lanes[li + 1]! + add, b2 = lanes[li + 2]! + add, b3 = lanes[li + 3]! + add;
  const b4 = lanes[li + 4]! + add, b5 = lanes[li + 5]! + add, b6 = lanes[li + 6]! + add, b7 = lanes[li + 7]! + add;
  for (let s = s0, d = 0; s < s1; s++, d += NR) {
    const u = idx[s]!;
    bp[d] = xp[u + b0]!; bp[d + 1] = xp[u + b1]!; bp[d + 2] = xp[u + b2]!; bp[d + 3] = xp[u + b3]!;
    bp[d + 4] = xp[u + b4]!; bp[d + 5] = xp[u + b5]!; bp[d + 6] = xp[u + b6]!; bp[d + 7] = xp[u + b7]!;
  }
}

/**
 * y = conv(x, w) + b by the direct method: x [N, C, H, W], w [O, C/G, kh, kw], y [N, O, OH, OW]
 * (overwritten). Any stride, dilation, padding (padTop/padLeft; the far sides follow from the output
 * size) and groups.
 */
export function directConv2d(
  x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, g: DirectGeometry,
): void {
  const { xp, pixels, xBase, yBase, tapOff, taps: K, plane, cg, og, P, rowsPerBlock, blocks } = layout(x, g);
  const G = g.groups, O = g.outChannels;
  const packSize = blocks * rowsPerBlock * K;
  // 6-row blocks run gemm's micro-kernel on float64 panels; single rows read the input directly
  let wp: Float32Array | Float64Array;
  if (rowsPerBlock === MR) {
    if (wPack64.length < packSize) wPack64 = new Float64Array(packSize);
    if (bPanel.length < K * NR) bPanel = new Float64Array(K * NR);
    wp = wPack64;
  } else {
    if (wPack32.length < packSize) wPack32 = new Float32Array(packSize);
    if (stepScratch.length < K) stepScratch = new Int32Array(K);
    for (let k = 0; k < K; k++) stepScratch[k] = k;
    wp = wPack32;
  }
  const bp = bPanel, step = stepScratch;
  const t = tile;
  for (let grp = 0; grp < G; grp++) {
    // pack this group's weights: block ob, tap k, row i → wp[(ob·K + k)·rows + i] (zero rows past og)
    for (let ob = 0; ob < blocks; ob++) {
      for (let i = 0; i < rowsPerBlock; i++) {
        const o = ob * rowsPerBlock + i;
        let d = ob * K * rowsPerBlock + i;
        if (o < og) {
          const s = (grp * og + o) * K;
          for (let k = 0; k < K; k++, d += rowsPerBlock) wp[d] = w[s + k]!;
        } else {
          for (let k = 0; k < K; k++, d += rowsPerBlock) wp[d] = 0;
        }
      }
    }
    const gx = grp * cg * plane;
    for (let q = 0; q < pixels; q += NR) {
      const cols = Math.min(NR, pixels - q);
      // the K × 8 column panel of these 8 pixels (im2col straight into gemm's packed layout)
      if (rowsPerBlock === MR) gather8(xp, tapOff, 0, K, xBase, q, gx, bp);
      for (let ob = 0; ob < blocks; ob++) {
        const o0 = ob * rowsPerBlock;
        const rows = Math.min(rowsPerBlock, og - o0);
        if (rowsPerBlock === MR) microKernel(K, wPack64, ob * K * MR, bp, 0, t);
        else tile1x8(0, K, wPack32, step, ob * K, xp, tapOff, xBase, q, gx, t);
        for (let i = 0; i < rows; i++) {
          const oc = grp * og + o0 + i;
          const bo = bias !== null ? bias[oc]! : 0;
          const yo = oc * P;
          for (let j = 0, ti = i * NR; j < cols; j++, ti++) y[yBase[q + j]! + yo] = t[ti]! + bo;
        }
      }
    }
  }
}

/**
 * dx of a stride-1 convolution: the direct forward pass over dy with the transposed, flipped filter
 * (C output channels, O/G inputs per group) and padding (k − 1)·d − p. dx is overwritten.
 */
export function directConv2dBackpropInput(
  dy: Float32Array, w: Float32Array, dx: Float32Array, g: DirectGeometry,
): void {
  const G = g.groups, C = g.inChannels, O = g.outChannels, cg = C / G, og = O / G;
  const kh = g.kernelHeight, kw = g.kernelWidth, khw = kh * kw;
  const size = C * og * khw;
  if (wFlipScratch.length < size) wFlipScratch = new Float32Array(size);
  const wt = wFlipScratch;
  // wt[grp·Cg + c, o, ky', kx'] = w[grp·Og + o, c, kh−1−ky', kw−1−kx']
  for (let grp = 0; grp < G; grp++) {
    for (let c = 0; c < cg; c++) {
      for (let o = 0; o < og; o++) {
        const d = ((grp * cg + c) * og + o) * khw;
        const s = ((grp * og + o) * cg + c) * khw + khw - 1;
        for (let k = 0; k < khw; k++) wt[d + k] = w[s - k]!;
      }
    }
  }
  directConv2d(dy, wt, null, dx, {
    batch: g.batch, inChannels: O, inHeight: g.outHeight, inWidth: g.outWidth,
    outChannels: C, groups: G, kernelHeight: kh, kernelWidth: kw,
    strideHeight: 1, strideWidth: 1, dilationHeight: g.dilationHeight, dilationWidth: g.dilationWidth,
    padTop: (kh - 1) * g.dilationHeight - g.padTop, padLeft: (kw - 1) * g.dilationWidth - g.padLeft,
    outHeight: g.inHeight, outWidth: g.inWidth,
  });
}

/**
 * dx of any convolution whose input gradient would waste work as a stride-1 correlation (small maps
 * with wide padding, strides): per block of 8 dy pixels, the column tile dcol[tap, q] = Σ_o W[o, tap] ·
 * dy[o, q] (gemm's micro-kernel, reduction over Og) is scatter-added into a padded float64 dx
 * (col2im through the tables), which is then cropped into dx (overwritten).
 */
export function directConv2dBackpropInputScatter(
  dy: Float32Array, w: Float32Array, dx: Float32Array, g: DirectGeometry,
): void {
  const { xp: acc, pixels, xBase, yBase, tapOff, taps: K, plane, cg, og, P } = layout(null, g);
  const G = g.groups, C = g.inChannels;
  const blocks = Math.ceil(K / MR); // 6-tap blocks: the rows of Wᵀ
  if (wPack64.length < blocks * MR * og) wPack64 = new Float64Array(blocks * MR * og);
  if (bPanel.length < og * NR) bPanel = new Float64Array(og * NR);
  const ap = wPack64, bp = bPanel, t = tile;
  for (let grp = 0; grp < G; grp++) {
    // A = Wᵀ in 6-tap blocks: ap[(tb·Og + o)·6 + i] = w[grp·Og + o, tap tb·6 + i] (zero past K)
    for (let tb = 0; tb < blocks; tb++) {
      for (let o = 0; o < og; o++) {
        const d = (tb * og + o) * MR, s = (grp * og + o) * K + tb * MR;
        for (let i = 0; i < MR; i++) ap[d + i] = tb * MR + i < K ? w[s + i]! : 0;
      }
    }
    const gx = grp * cg * plane, gy = grp * og * P;
    for (let q = 0; q < pixels; q += NR) {
      const cols = Math.min(NR, pixels - q);
      const y0 = yBase[q]! + gy, y1 = yBase[q + 1]! + gy, y2 = yBase[q + 2]! + gy, y3 = yBase[q + 3]! + gy;
      const y4 = yBase[q + 4]! + gy, y5 = yBase[q + 5]! + gy, y6 = yBase[q + 6]! + gy, y7 = yBase[q + 7]! + gy;
      for (let o = 0, d = 0, r = 0; o < og; o++, d += NR, r += P) {
        bp[d] = dy[y0 + r]!; bp[d + 1] = dy[y1 + r]!; bp[d + 2] = dy[y2 + r]!; bp[d + 3] = dy[y3 + r]!;
        bp[d + 4] = dy[y4 + r]!; bp[d + 5] = dy[y5 + r]!; bp[d + 6] = dy[y6 + r]!; bp[d + 7] = dy[y7 + r]!;
      }
      for (let tb = 0; tb < blocks; tb++) {
        microKernel(og, ap, tb * og * MR, bp, 0, t);
        const rows = Math.min(MR, K - tb * MR);
        for (let i = 0; i < rows; i++) {
          const off = tapOff[tb * MR + i]! + gx;
          for (let j = 0, ti = i * NR; j < cols; j++, ti++) acc[xBase[q + j]! + off] += t[ti]!;
        }
      }
    }
  }
  // crop: dx[n, c, iy, ix] = acc[(n·C + c)·plane + (iy + pt)·Wp + ix + pl] where that lies in the buffer
  const H = g.inHeight, W = g.inWidth, pt = g.padTop, pl = g.padLeft;
  const Wp = (g.outWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth + 1;
  const Hp = plane / Wp;
  for (let nc = 0; nc < g.batch * C; nc++) {
    for (let iy = 0; iy < H; iy++) {
      const r = iy + pt, d = (nc * H + iy) * W;
      if (r < 0 || r >= Hp) {
        dx.fill(0, d, d + W);
        continue;
      }
      const s = nc * plane + r * Wp + pl;
      for (let ix = 0; ix < W; ix++) {
        const c = ix + pl;
        dx[d + ix] = c >= 0 && c < Wp ? acc[s + ix]! : 0;
      }
    }
  }
}

/** dw [O, C/G, kh, kw] (overwritten) of conv(x, w) given x and dy, by the direct method. */
export function directConv2dBackpropFilter(
  x: Float32Array, dy: Float32Array, dw: Float32Array, g: DirectGeometry,
): void {
  const { xp, pixels, xBase, yBase, tapOff, taps: K, plane, cg, og, P, rowsPerBlock, blocks } = layout(x, g);
  const G = g.groups, O = g.outChannels;
  const t = tile;
  if (accScratch.length < O * K) accScratch = new Float64Array(O * K);
  const acc = accScratch;
  acc.fill(0, 0, O * K);
  // pixel chunks: the reduction runs over `chunk` pixels at a time, with dy and the input columns
  // packed into gemm's panel layout (6-row blocks) or read in place (single rows)
  const chunk = 512;
  if (rowsPerBlock === MR) {
    if (aPanel.length < blocks * MR * chunk) aPanel = new Float64Array(blocks * MR * chunk);
    if (bPanel.length < chunk * NR) bPanel = new Float64Array(chunk * NR);
  }
  const ap = aPanel, bp = bPanel;
  for (let q0 = 0; q0 < pixels; q0 += chunk) {
    const q1 = Math.min(pixels, q0 + chunk), len = q1 - q0;
    for (let grp = 0; grp < G; grp++) {
      const gx = grp * cg * plane;
      if (rowsPerBlock === MR) {
        // dy rows of every block: ap[(ob·len + s)·6 + i] = dy[n, o0 + i, p] (zero rows past og)
        for (let ob = 0; ob < blocks; ob++) {
          for (let i = 0; i < MR; i++) {
            const o = ob * MR + i;
            let d = ob * len * MR + i;
            if (o < og) {
              const row = (grp * og + o) * P;
              for (let q = q0; q < q1; q++, d += MR) ap[d] = dy[yBase[q]! + row]!;
            } else {
              for (let q = q0; q < q1; q++, d += MR) ap[d] = 0;
            }
          }
        }
      }
      for (let k = 0; k < K; k += NR) {
        const cols = Math.min(NR, K - k);
        if (rowsPerBlock === MR) gather8(xp, xBase, q0, q1, tapOff, k, gx, bp);
        for (let ob = 0; ob < blocks; ob++) {
          const o0 = ob * rowsPerBlock;
          const rows = Math.min(rowsPerBlock, og - o0);
          if (rowsPerBlock === MR) microKernel(len, ap, ob * len * MR, bp, 0, t);
          else tile1x8(q0, q1, dy, yBase, (grp * og + o0) * P, xp, xBase, tapOff, k, gx, t);
          for (let i = 0; i < rows; i++) {
            const d = (grp * og + o0 + i) * K + k;
            for (let j = 0, ti = i * NR; j < cols; j++, ti++) acc[d + j] += t[ti]!;
          }
        }
      }
    }
  }
  for (let i = 0; i < O * K; i++) dw[i] = acc[i]!;
}
