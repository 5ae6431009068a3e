/**
 * im2col / col2im for NCHW convolution, one image and one channel group at a time.
 *
 * The column matrix has one row per (c, ky, kx) of the group's input channels and one column per
 * output pixel: col[((c·kh + ky)·kw + kx)·P + oy·OW + ox] = x[c, oy·sh − pt + ky·dh, ox·sw − pl + kx·dw]
 * (0 outside the image), P = OH·OW. Each row is filled with a precomputed valid column range, so the
 * inner loops have no bounds tests. The scratch column buffer is module-level and only grows.
 */
import type { Conv2dGeometry } from '@hypercolumn/core';

let colScratch = new Float32Array(0);

/** A module-level scratch buffer of at least `n` floats (contents undefined). */
export function colBuffer(n: number): Float32Array {
  if (colScratch.length < n) colScratch = new Float32Array(Math.max(n, Math.ceil(colScratch.length * 1.5)));
  return colScratch;
}

/** First and one-past-last output index o with 0 ≤ o·s + off < size, clamped to [0, out). */
function validRange(off: number, s: number, size: number, out: number): [number, number] {
  // o·s + off ≥ 0  ⇔  o ≥ ceil(−off / s);  o·s + off ≤ size − 1  ⇔  o ≤ floor((size − 1 − off) / s)
  let lo = off >= 0 ? 0 : Math.ceil(-off / s);
  let hi = size - 1 - off < 0 ? 0 : Math.floor((size - 1 - off) / s) + 1;
  if (lo > out) lo = out;
  if (hi > out) hi = out;
  if (hi < lo) hi = lo;
  return [lo, hi];
}

/** Fills col (rows = channels·kh·kw of one group, cols = OH·OW) from x starting at channel offset xOff. */
export function im2col(x: Float32Array, xOff: number, channels: number, g: Conv2dGeometry, col: Float32Array): void {
  transfer(x, xOff, channels, g, col, false);
}

/** The adjoint of im2col: dx[channel offset dxOff …] += scatter of col. */
export function col2im(col: FloatArrayLike, channels: number, g: Conv2dGeometry, dx: Float32Array, dxOff: number): void {
  transfer(dx, dxOff, channels, g, col, true);
}

/**
 * The one walk over (c, ky, kx, oy, ox) behind both: gather (col ← img, zeros where the window is in
 * the padding) or scatter-add (img += col, padding entries dropped).
 */
function transfer(
  img: Float32Array, imgOff: number, channels: number, g: Conv2dGeometry, col: FloatArrayLike, scatter: boolean,
): void {
  const H = g.inHeight, W = g.inWidth, OH = g.outHeight, OW = g.outWidth;
  const kh = g.kernelHeight, kw = g.kernelWidth, sh = g.strideHeight, sw = g.strideWidth;
  const dh = g.dilationHeight, dw = g.dilationWidth, pt = g.padTop, pl = g.padLeft;
  const P = OH * OW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const xc = imgOff + c * H * W;
    for (let ky = 0; ky < kh; ky++) {
      const [oy0, oy1] = validRange(ky * dh - pt, sh, H, OH);
      for (let kx = 0; kx < kw; kx++, row++) {
        const base = row * P;
        const offX = kx * dw - pl;
        const [ox0, ox1] = validRange(offX, sw, W, OW);
        if (!scatter) {
          if (oy0 > 0) col.fill(0, base, base + oy0 * OW);
          if (oy1 < OH) col.fill(0, base + oy1 * OW, base + P);
        }
        for (let oy = oy0; oy < oy1; oy++) {
          const d = base + oy * OW;
          let s = xc + (oy * sh - pt + ky * dh) * W + ox0 * sw + offX;
          if (scatter) {
            for (let ox = ox0; ox < ox1; ox++, s += sw) img[s] += col[d + ox]!;
          } else {
            for (let ox = 0; ox < ox0; ox++) col[d + ox] = 0;
            for (let ox = ox1; ox < OW; ox++) col[d + ox] = 0;
            for (let ox = ox0; ox < ox1; ox++, s += sw) col[d + ox] = img[s]!;
          }
        }
      }
    }
  }
}

type FloatArrayLike = Float32Array | Float64Array;

/** True when the column matrix of one group equals the input itself (1×1, stride 1, no padding). */
export function isPointwiseIdentity(g: Conv2dGeometry): boolean {
  return (
    g.kernelHeight === 1 && g.kernelWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.padTop === 0 && g.padBottom === 0 && g.padLeft === 0 && g.padRight === 0 &&
    g.outHeight === g.inHeight && g.outWidth === g.inWidth
  );
}
