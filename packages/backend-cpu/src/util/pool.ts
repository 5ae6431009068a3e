import type { Pool2dGeometry } from '@hypercolumn/core';

/**
 * Window bookkeeping shared by the pooling kernels. Output position o of one axis has its window
 * origin at o·stride − padBefore; its taps t ∈ [0, kernel) sit at origin + t·dilation.
 */

/**
 * For each output position along one axis, the range [start, end) of taps that land inside the
 * input (padding taps are skipped, as max pooling ignores them). Layout: ranges[2o], ranges[2o+1].
 */
export function tapRanges(
  outSize: number, inSize: number, kernel: number, stride: number, padBefore: number, dilation: number,
): Int32Array {
  const ranges = new Int32Array(2 * outSize);
  for (let o = 0; o < outSize; o++) {
    const origin = o * stride - padBefore;
    const start = origin < 0 ? Math.ceil(-origin / dilation) : 0;
    let end = Math.floor((inSize - 1 - origin) / dilation) + 1;
    if (end > kernel) end = kernel;
    ranges[2 * o] = start;
    ranges[2 * o + 1] = end > start ? end : start;
  }
  return ranges;
}

/**
 * Average pooling windows along one axis (dilation 1), PyTorch's rule: start = o·s − padBefore,
 * end = min(start + k, inSize + padAfter), padded extent = end − start (before clipping), then
 * clipped to [0, inSize). Layout: bounds[3o] = clipped start, bounds[3o+1] = clipped end,
 * bounds[3o+2] = padded extent (the countIncludePad factor).
 */
export function avgWindows(
  outSize: number, inSize: number, kernel: number, stride: number, padBefore: number, padAfter: number,
): Int32Array {
  const bounds = new Int32Array(3 * outSize);
  for (let o = 0; o < outSize; o++) {
    let start = o * stride - padBefore;
    let end = Math.min(start + kernel, inSize + padAfter);
    const extent = end - start;
    if (start < 0) start = 0;
    if (end > inSize) end = inSize;
    bounds[3 * o] = start;
    bounds[3 * o + 1] = end > start ? end : start;
    bounds[3 * o + 2] = extent;
  }
  return bounds;
}

/**
 * Every average-pooling window of one plane, in output order i = oh·OW + ow, shared by avgPool2d and
 * its backward: the window covers input rows [h, h + height) and columns [w, w + width) of the
 * plane, origin[i] = h·W + w, and its divisor follows PyTorch's rule (see `avgWindows`): with
 * countIncludePad the padded extent, otherwise the number of input elements.
 */
export interface AvgPoolPlan {
  origin: Int32Array;
  height: Int32Array;
  width: Int32Array;
  divisor: Float64Array;
}

export function avgPoolPlan(g: Pool2dGeometry, countIncludePad: boolean): AvgPoolPlan {
  const W = g.inWidth, OH = g.outHeight, OW = g.outWidth;
  const rows = avgWindows(OH, g.inHeight, g.kernelHeight, g.strideHeight, g.padTop, g.padBottom);
  const cols = avgWindows(OW, W, g.kernelWidth, g.strideWidth, g.padLeft, g.padRight);
  const n = OH * OW;
  const plan: AvgPoolPlan = {
    origin: new Int32Array(n), height: new Int32Array(n), width: new Int32Array(n), divisor: new Float64Array(n),
  };
  for (let oh = 0, i = 0; oh < OH; oh++) {
    const hs = rows[3 * oh]!, he = rows[3 * oh + 1]!, hExt = rows[3 * oh + 2]!;
    for (let ow = 0; ow < OW; ow++, i++) {
      const ws = cols[3 * ow]!, we = cols[3 * ow + 1]!;
      plan.origin[i] = hs * W + ws;
      plan.height[i] = he - hs;
      plan.width[i] = we - ws;
      plan.divisor[i] = countIncludePad ? hExt * cols[3 * ow + 2]! : (he - hs) * (we - ws);
    }
  }
  return plan;
}

/**
 * The max-pooling scan, shared by forward and backward so both pick the same element: in each
 * window, taps in row-major order, the FIRST maximum wins (strict >), padding is −∞, and a NaN is
 * taken as the maximum (PyTorch's `val > maxval || isnan(val)`). With `y` it writes the maxima;
 * otherwise it adds dy[o] into dx at each window's argmax.
 */
export function maxPoolScan(
  x: Float32Array, g: Pool2dGeometry, y: Float32Array | null, dy: Float32Array | null, dx: Float32Array | null,
): void {
  const H = g.inHeight, W = g.inWidth, OH = g.outHeight, OW = g.outWidth;
  const sh = g.strideHeight, sw = g.strideWidth, dh = g.dilationHeight, dw = g.dilationWidth;
  const rows = tapRanges(OH, H, g.kernelHeight, sh, g.padTop, dh);
  const cols = tapRanges(OW, W, g.kernelWidth, sw, g.padLeft, dw);
  const planes = g.batch * g.channels;
  const rowStep = dh * W;
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    let o = p * OH * OW;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * sh - g.padTop;
      const i0 = rows[2 * oh]!, i1 = rows[2 * oh + 1]!;
      const rowBase = xo + (h0 + i0 * dh) * W;
      const rowEnd = rowBase + (i1 - i0) * rowStep;
      for (let ow = 0; ow < OW; ow++, o++) {
        const w0 = ow * sw - g.padLeft;
        const j0 = cols[2 * ow]!, j1 = cols[2 * ow + 1]!;
        const colStart = w0 + j0 * dw, colEnd = w0 + j1 * dw;
        let m = -Infinity;
        let best = rowBase + colStart;
        for (let r = rowBase; r < rowEnd; r += rowStep) {
          for (let k = r + colStart, e = r + colEnd; k < e; k += dw) {
            const v = x[k]!;
            if (v > m || v !== v) {
              m = v;
              best = k;
            }
          }
        }
        if (y !== null) y[o] = m;
        else dx![best]! += dy![o]!;
      }
    }
  }
}

/**
 * Max-pooling forward. Values only, so ties need no order and the result equals maxPoolScan's.
 * Common windows (dilation-1 width 2 or 3) take an unrolled loop over the output columns whose
 * window lies inside the input horizontally; border columns and other windows use the scan.
 */
export function maxPoolForward(x: Float32Array, g: Pool2dGeometry, y: Float32Array): void {
  const kw = g.kernelWidth;
  if (g.dilationWidth !== 1 || (kw !== 2 && kw !== 3)) {
    maxPoolScan(x, g, y, null, null);
    return;
  }
  const H = g.inHeight, W = g.inWidth, OH = g.outHeight, OW = g.outWidth;
  const sh = g.strideHeight, sw = g.strideWidth, dh = g.dilationHeight, pl = g.padLeft;
  const rows = tapRanges(OH, H, g.kernelHeight, sh, g.padTop, dh);
  // interior output columns [lo, hi): window columns ow·sw − pl … + kw − 1 all inside [0, W)
  const lo = Math.min(OW, Math.ceil(pl / sw));
  const hi = Math.max(lo, Math.min(OW, Math.floor((W - kw + pl) / sw) + 1));
  const planes = g.batch * g.channels;
  const rowStep = dh * W;
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const o = (p * OH + oh) * OW;
      const i0 = rows[2 * oh]!, i1 = rows[2 * oh + 1]!;
      const rowBase = xo + (oh * sh - g.padTop + i0 * dh) * W;
      const span = (i1 - i0) * rowStep;
      for (let ow = 0; ow < lo; ow++) y[o + ow] = borderMax(x, rowBase, span, rowStep, ow * sw - pl, kw, W);
      let c = rowBase + lo * sw - pl;
      if (kw === 2) {
        for (let ow = lo; ow < hi; ow++, c += sw) {
          let m = -Infinity;
          for (let r = c, e = c + span; r < e; r += rowStep) {
            const a = x[r]!, b = x[r + 1]!;
            if (a > m || a !== a) m = a;
            if (b > m || b !== b) m = b;
          }
          y[o + ow] = m;
        }
      } else {
        for (let ow = lo; ow < hi; ow++, c += sw) {
          let m = -Infinity;
          for (let r = c, e = c + span; r < e; r += rowStep) {
            const a = x[r]!, b = x[r + 1]!, d = x[r + 2]!;
            if (a > m || a !== a) m = a;
            if (b > m || b !== b) m = b;
            if (d > m || d !== d) m = d;
          }
          y[o + ow] = m;
        }
      }
      for (let ow = hi; ow < OW; ow++) y[o + ow] = borderMax(x, rowBase, span, rowStep, ow * sw - pl, kw, W);
    }
  }
}

/** Max over a dilation-1 window whose columns [w0, w0 + kw) are clipped to [0, W). */
function borderMax(x: Float32Array, rowBase: number, span: number, rowStep: number, w0: number, kw: number, W: number): number {
  const c0 = w0 < 0 ? 0 : w0, c1 = w0 + kw > W ? W : w0 + kw;
  let m = -Infinity;
  for (let r = rowBase, e = rowBase + span; r < e; r += rowStep) {
    for (let k = r + c0, ke = r + c1; k < ke; k++) {
      const v = x[k]!;
      if (v > m || v !== v) m = v;
    }
  }
  return m;
}
