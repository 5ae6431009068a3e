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
        else if (i1 > i0 && j1 > j0) dx![best]! += dy![o]!; // a window entirely in padding (−Inf) has no input to route to
      }
    }
  }
}

/*
 * Branch-free max: the compares of a max-pooling window are unpredictable on real data (a
 * mispredicted branch costs more than the whole window), so the fast paths compare integer ORDER
 * KEYS of the float32 bits instead, selecting with masks: for bits i, s = i >> 31 and
 * mag = i & 0x7fffffff, key = (mag ^ s) − s is −mag for negative floats and mag otherwise, which
 * orders as the floats do (−0 and +0 get the same key 0, as they compare equal) for every non-NaN
 * value. NaN is caught separately: mag > 0x7f800000 exactly for NaN, so `mag + 0x7fffff` overflows
 * into the int32 sign bit; OR-ing those over the window flags any NaN (the window then yields NaN,
 * as PyTorch's max pooling propagates it). A key maps back to float bits as |key| | sign.
 */

const NAN_BITS = 0x7fc00000;

/** Float32 bits of an order key (−0 comes back as +0; the two compare equal). */
function bitsOfKey(m: number): number {
  const s = m >> 31;
  return (((m ^ s) - s) | 0) | (s & 0x80000000);
}

/**
 * Interior output columns [lo, hi) of a dilation-1 window of width kw: every column of the window
 * ow·sw − pl … + kw − 1 lies inside [0, W).
 */
function interiorColumns(g: Pool2dGeometry): [number, number] {
  const OW = g.outWidth, sw = g.strideWidth, pl = g.padLeft, kw = g.kernelWidth;
  const lo = Math.min(OW, Math.ceil(pl / sw));
  const hi = Math.max(lo, Math.min(OW, Math.floor((g.inWidth - kw + pl) / sw) + 1));
  return [lo, hi];
}

/** Int32 view of a Float32Array's bits. */
const bitsView = (a: Float32Array): Int32Array => new Int32Array(a.buffer, a.byteOffset, a.length);

/** Order key of float32 bits i (see above). */
function key(i: number): number {
  const s = i >> 31;
  return (((i & 0x7fffffff) ^ s) - s) | 0;
}

/** Negative (sign bit set) exactly when the float32 bits i are a NaN. */
function nanFlag(i: number): number {
  return ((i & 0x7fffffff) + 0x7fffff) | 0;
}

/** max of two keys, branch-free. */
function kmax(p: number, q: number): number {
  return p ^ ((p ^ q) & -(p < q));
}

/**
 * Max-pooling forward. Values only, so ties need no order and the result equals maxPoolScan's (up
 * to the sign of a zero maximum and the NaN payload). Dilation-1 windows of width 2 or 3 take
 * branch-free loops over the output columns whose window lies inside the input horizontally (rows
 * are clipped per output row, so vertical padding costs nothing); border columns use a plain scan,
 * other windows maxPoolScan.
 */
export function maxPoolForward(x: Float32Array, g: Pool2dGeometry, y: Float32Array): void {
  const kw = g.kernelWidth;
  if (g.dilationWidth !== 1) {
    maxPoolScan(x, g, y, null, null);
    return;
  }
  const xi = bitsView(x), yi = bitsView(y);
  const H = g.inHeight, W = g.inWidth, OH = g.outHeight, OW = g.outWidth;
  const sh = g.strideHeight, sw = g.strideWidth, dh = g.dilationHeight, pl = g.padLeft;
  const rows = tapRanges(OH, H, g.kernelHeight, sh, g.padTop, dh);
  const [lo, hi] = interiorColumns(g);
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
      const kr = i1 - i0, r1 = rowStep;
      // Fully unrolled windows (a loop over 2–3 rows per output costs about as much as the maths)
      if (kw === 2 && kr === 2) {
        for (let ow = o + lo, oe = o + hi; ow < oe; ow++, c += sw) {
          const a = xi[c]!, b = xi[c + 1]!, d = xi[c + r1]!, e = xi[c + r1 + 1]!;
          const nan = nanFlag(a) | nanFlag(b) | nanFlag(d) | nanFlag(e);
          const m = kmax(kmax(key(a), key(b)), kmax(key(d), key(e)));
          yi[ow] = nan < 0 ? NAN_BITS : bitsOfKey(m);
        }
      } else if (kw === 3) {
        // measured: on 3-wide overlapping windows the compare-and-branch loop beats the key loop
        for (let ow = o + lo, oe = o + hi; ow < oe; ow++, c += sw) {
          let m = -Infinity;
          for (let r = c, e = c + span; r < e; r += rowStep) {
            const a = x[r]!, b = x[r + 1]!, d = x[r + 2]!;
            if (a > m || a !== a) m = a;
            if (b > m || b !== b) m = b;
            if (d > m || d !== d) m = d;
          }
          y[ow] = m;
        }
      } else {
        for (let ow = o + lo, oe = o + hi; ow < oe; ow++, c += sw) {
          let m = key(xi[c]!), nan = 0;
          for (let r = c, e = c + span; r < e; r += rowStep) {
            for (let t = r, te = r + kw; t < te; t++) {
              const v = xi[t]!;
              nan |= nanFlag(v);
              m = kmax(m, key(v));
            }
          }
          yi[ow] = nan < 0 ? NAN_BITS : bitsOfKey(m);
        }
      }
      for (let ow = hi; ow < OW; ow++) y[o + ow] = borderMax(x, rowBase, span, rowStep, ow * sw - pl, kw, W);
    }
  }
}

/**
 * Max-pooling backward: adds dy[o] into dx at each window's argmax, the FIRST maximum in row-major
 * tap order (as maxPoolScan and PyTorch). Dilation-1 windows of width 2 or 3 find it branch-free
 * on order keys (a strict compare keeps the earlier tap on ties; −0 ties +0 as in float compares);
 * a window holding a NaN, border columns and other windows use the scan, which gives NaN its
 * PyTorch treatment.
 */
export function maxPoolBackward(x: Float32Array, g: Pool2dGeometry, dy: Float32Array, dx: Float32Array): void {
  const kw = g.kernelWidth;
  if (g.dilationWidth !== 1) {
    maxPoolScan(x, g, null, dy, dx);
    return;
  }
  const xi = bitsView(x);
  const H = g.inHeight, W = g.inWidth, OH = g.outHeight, OW = g.outWidth;
  const sh = g.strideHeight, sw = g.strideWidth, dh = g.dilationHeight, pl = g.padLeft;
  const rows = tapRanges(OH, H, g.kernelHeight, sh, g.padTop, dh);
  const [lo, hi] = interiorColumns(g);
  const planes = g.batch * g.channels;
  const rowStep = dh * W;
  for (let p = 0; p < planes; p++) {
    const xo = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      const o = (p * OH + oh) * OW;
      const i0 = rows[2 * oh]!, i1 = rows[2 * oh + 1]!;
      if (i1 === i0) continue; // dilated rows that all fall in padding: −Inf outputs, nothing to route
      const rowBase = xo + (oh * sh - g.padTop + i0 * dh) * W;
      const span = (i1 - i0) * rowStep;
      for (let ow = 0; ow < lo; ow++) dx[scanArgmax(x, rowBase, span, rowStep, ow * sw - pl, kw, W)]! += dy[o + ow]!;
      let c = rowBase + lo * sw - pl;
      const kr = i1 - i0, r1 = rowStep, r2 = 2 * rowStep;
      if (kw === 2 && kr === 2) {
        for (let ow = o + lo, oe = o + hi; ow < oe; ow++, c += sw) {
          const a = xi[c]!, b = xi[c + 1]!, d = xi[c + r1]!, e = xi[c + r1 + 1]!;
          const nan = nanFlag(a) | nanFlag(b) | nanFlag(d) | nanFlag(e);
          const ka = key(a), kb = key(b), kd = key(d), ke = key(e);
          const t = -(ka < kb), u = -(kd < ke);
          const k0 = ka ^ ((ka ^ kb) & t), k1 = kd ^ ((kd ^ ke) & u);
          const j0 = c - t, j1 = c + r1 - u;
          let best = j0 ^ ((j0 ^ j1) & -(k0 < k1));
          if (nan < 0) best = scanArgmax(x, c, span, rowStep, 0, kw, kw);
          dx[best]! += dy[ow]!;
        }
      } else if (kw === 3 && (kr === 3 || kr === 2)) {
        const last = kr === 3 ? r2 : r1; // a 2-row window compares its second row with itself: no effect
        for (let ow = o + lo, oe = o + hi; ow < oe; ow++, c += sw) {
          let nan = 0, m = 0, best = 0;
          for (let q = 0; q < 3; q++) {
            const r = q === 0 ? c : q === 1 ? c + r1 : c + last;
            const a = xi[r]!, b = xi[r + 1]!, d = xi[r + 2]!;
            nan |= nanFlag(a) | nanFlag(b) | nanFlag(d);
            const ka = key(a), kb = key(b), kd = key(d);
            const t = -(ka < kb);
            let k = ka ^ ((ka ^ kb) & t), j = r - t;
            const v = -(k < kd);
            k ^= (k ^ kd) & v;
            j ^= (j ^ (r + 2)) & v;
            if (q === 0) {
              m = k;
              best = j;
            } else {
              const u = -(m < k);
              m ^= (m ^ k) & u;
              best ^= (best ^ j) & u;
            }
          }
          if (nan < 0) best = scanArgmax(x, c, span, rowStep, 0, kw, kw);
          dx[best]! += dy[ow]!;
        }
      } else {
        for (let ow = o + lo, oe = o + hi; ow < oe; ow++, c += sw) {
          let m = key(xi[c]!), best = c, nan = 0;
          for (let r = c, e = c + span; r < e; r += rowStep) {
            for (let t = r, te = r + kw; t < te; t++) {
              const v = xi[t]!, k = key(v);
              nan |= nanFlag(v);
              const u = -(m < k);
              m ^= (m ^ k) & u;
              best ^= (best ^ t) & u;
            }
          }
          if (nan < 0) best = scanArgmax(x, c, span, rowStep, 0, kw, kw);
          dx[best]! += dy[ow]!;
        }
      }
      for (let ow = hi; ow < OW; ow++) dx[scanArgmax(x, rowBase, span, rowStep, ow * sw - pl, kw, W)]! += dy[o + ow]!;
    }
  }
}

/**
 * Index of the maximum of a dilation-1 window whose columns [w0, w0 + kw) are clipped to [0, W),
 * maxPoolScan's rule: first maximum in row-major order (strict >), a NaN taken as the maximum. Its
 * rows are not empty (the caller skips those) and neither are its columns: with dilation 1 and padding
 * at most half the kernel (core's rule), every window sees a column of the input.
 */
function scanArgmax(x: Float32Array, rowBase: number, span: number, rowStep: number, w0: number, kw: number, W: number): number {
  const c0 = w0 < 0 ? 0 : w0, c1 = w0 + kw > W ? W : w0 + kw;
  let m = -Infinity, best = rowBase + c0;
  for (let r = rowBase, e = rowBase + span; r < e; r += rowStep) {
    for (let k = r + c0, ke = r + c1; k < ke; k++) {
      const v = x[k]!;
      if (v > m || v !== v) {
        m = v;
        best = k;
      }
    }
  }
  return best;
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
