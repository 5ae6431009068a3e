import { gather4, hsum, ldf, stf } from './common';

// Window of output position o along one axis: taps t in [start, end) land inside the input.
// @ts-ignore: decorator
@inline function tapStart(origin: i32, dil: i32): i32 {
  return origin < 0 ? (-origin + dil - 1) / dil : 0;
}
// @ts-ignore: decorator
@inline function tapEnd(origin: i32, dil: i32, inSize: i32, k: i32): i32 {
  const e = origin > inSize - 1 ? 0 : (inSize - 1 - origin) / dil + 1;
  return min(e, k);
}

/** Four taps at p, p + step, … (step = stride in floats; 1 and 2 without scalar loads). */
// @ts-ignore: decorator
@inline function taps4(p: usize, sw: i32): v128 {
  if (sw == 1) return v128.load(p);
  if (sw == 2) return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  return gather4(p, <usize>sw << 2);
}

/**
 * Columns [oxA, oxB) whose windows lie inside the row, with 4-output groups that may also read the
 * 8th float of a stride-2 pair: those take the vector path, the rest the scalar one.
 */
// @ts-ignore: decorator
@inline function interiorStart(pl: i32, sw: i32): i32 {
  return (pl + sw - 1) / sw;
}

// @ts-ignore: decorator
@inline function vectorFits(ox: i32, sw: i32, pl: i32, kw: i32, dw: i32, W: i32): bool {
  // the last float a group of 4 outputs reads (stride 2 reads whole vectors)
  let reach = 7 + (kw - 1) * dw; // taps4: 8 floats from each tap
  if (dw == 1 && kw == 2) reach = 7; // the 2-wide path: one pair of vectors
  const last = sw == 2 ? ox * 2 - pl + reach : (ox + 3) * sw - pl + (kw - 1) * dw;
  return last <= W - 1;
}

/**
 * Floats 0..3 at p, or with `left` (p is one float left of the row: padding) −∞ and floats 1..3, so
 * the first output of a row padded by one takes the vector path too.
 */
// @ts-ignore: decorator
@inline function leftLoad(p: usize, left: bool, none: v128): v128 {
  return left ? v128.shuffle<f32>(none, v128.load(p, 4), 3, 4, 5, 6) : v128.load(p);
}

/** Set by maxStride2: the sum of every vector it read, NaN if one held a NaN (or ±∞ met ∓∞). */
let maxProbe: v128 = f32x4.splat(0);

/**
 * Max over the 2- or 3-wide stride-2 windows of 4 outputs whose first window starts at `row` (in the
 * window's first row inside the input), over `rows` rows `rowStep` bytes apart: the rows' maximum
 * first (pmax, one instruction; f32x4.max is eight in V8 to order NaN and signed zeros), then even
 * and odd lanes (and the next even ones for 3-wide), each shuffle two lanes from each source (one
 * shufps). pmax drops NaN, so maxProbe sums what was read: a NaN there sends the caller to the scan.
 */
// @ts-ignore: decorator
@inline function maxStride2(row: usize, rowStep: usize, rows: i32, three: bool, left: bool): v128 {
  let a = f32x4.splat(-Infinity), b = a, c = a, d = a;
  const none = a;
  let probe = f32x4.splat(0);
  if (three && rows == 3) {
    // the full window, straight-line (V8 adds a stack check to every loop iteration)
    const r1 = row + rowStep, r2 = r1 + rowStep;
    const a0 = leftLoad(row, left, none), b0 = v128.load(row, 16), d0 = v128.load(row, 8), c0 = v128.load(row, 20);
    const a1 = leftLoad(r1, left, none), b1 = v128.load(r1, 16), d1 = v128.load(r1, 8), c1 = v128.load(r1, 20);
    const a2 = leftLoad(r2, left, none), b2 = v128.load(r2, 16), d2 = v128.load(r2, 8), c2 = v128.load(r2, 20);
    probe = f32x4.add(f32x4.add(f32x4.add(a0, b0), f32x4.add(c0, a1)), f32x4.add(f32x4.add(b1, c1), f32x4.add(a2, f32x4.add(b2, c2))));
    a = f32x4.pmax(f32x4.pmax(a0, a1), a2);
    b = f32x4.pmax(f32x4.pmax(b0, b1), b2);
    c = f32x4.pmax(f32x4.pmax(c0, c1), c2);
    d = f32x4.pmax(f32x4.pmax(d0, d1), d2);
  } else if (!three && rows == 2) {
    const r1 = row + rowStep;
    const a0 = leftLoad(row, left, none), b0 = v128.load(row, 16), a1 = leftLoad(r1, left, none), b1 = v128.load(r1, 16);
    probe = f32x4.add(f32x4.add(a0, b0), f32x4.add(a1, b1));
    a = f32x4.pmax(a0, a1);
    b = f32x4.pmax(b0, b1);
  } else if (three) {
    for (let r = 0; r < rows; r++, row += rowStep) {
      // floats 0..3, 4..7, 2..5, 5..8
      const ra = leftLoad(row, left, none), rb = v128.load(row, 16), rd = v128.load(row, 8), rc = v128.load(row, 20);
      probe = f32x4.add(probe, f32x4.add(f32x4.add(ra, rb), rc));
      a = f32x4.pmax(a, ra);
      b = f32x4.pmax(b, rb);
      c = f32x4.pmax(c, rc);
      d = f32x4.pmax(d, rd);
    }
  } else {
    for (let r = 0; r < rows; r++, row += rowStep) {
      const ra = leftLoad(row, left, none), rb = v128.load(row, 16);
      probe = f32x4.add(probe, f32x4.add(ra, rb));
      a = f32x4.pmax(a, ra);
      b = f32x4.pmax(b, rb);
    }
  }
  maxProbe = probe;
  const m = f32x4.pmax(v128.shuffle<f32>(a, b, 0, 2, 4, 6), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
  // x2, x4, x6, x8: the third tap of each 3-wide window
  return three ? f32x4.pmax(m, v128.shuffle<f32>(d, c, 0, 2, 5, 7)) : m;
}

/** Index (in the plane) of the maximum found by the last scanMax, −1 if its window was empty. */
let scanArg: i32 = -1;

/**
 * The max-pooling window of one output, taps row-major: the first maximum wins and a NaN counts as
 * the maximum (PyTorch's rule); taps in the padding are skipped. x0 = first column, y0 = first row.
 */
// @ts-ignore: decorator
@inline function scanMax(xs: usize, W: i32, x0: i32, dw: i32, kw: i32, y0: i32, dh: i32, ty0: i32, ty1: i32): f32 {
  const tx0 = tapStart(x0, dw), tx1 = tapEnd(x0, dw, W, kw);
  let m: f32 = -Infinity;
  let arg: i32 = -1;
  for (let ty = ty0; ty < ty1; ty++) {
    const row = (y0 + ty * dh) * W + x0;
    for (let tx = tx0; tx < tx1; tx++) {
      const i = row + tx * dw;
      const v = ldf(xs + (<usize>i << 2));
      // selects, not branches: on real data the comparison is a coin toss for the predictor
      const take = <i32>(v > m) | <i32>(v != v);
      m = select<f32>(v, m, take);
      arg = select<i32>(i, arg, take);
    }
  }
  scanArg = arg;
  return m;
}

/** Sum of the last rows read by columnMax3: NaN if one held a NaN (pmax drops a NaN operand). */
let columnProbe: v128 = f32x4.splat(0);

/** The maximum of floats 0..3 (with `left`, −∞ and floats 1..3) at p, p + step, p + 2·step. */
// @ts-ignore: decorator
@inline function columnMax3(p: usize, step: usize, left: bool, none: v128): v128 {
  const r0 = leftLoad(p, left, none), r1 = leftLoad(p + step, left, none), r2 = leftLoad(p + 2 * step, left, none);
  columnProbe = f32x4.add(f32x4.add(r0, r1), r2);
  return f32x4.pmax(f32x4.pmax(r0, r1), r2);
}

/**
 * The full 3×3 stride-2 windows of one output row, 4 outputs at a time from oxA while another whole
 * group follows (returns where it stopped; the caller does the rest): each group takes the 3 rows'
 * maximum of its 8 floats once (x0..x7, two vectors a and b), and the third tap of its windows
 * (x2, x4, x6, x8) from its even lanes and the next group's x0, which that group computes anyway: half
 * the loads and vertical maxima of maxStride2, which reads floats 2..5 and 5..8 as well. Every float
 * read goes into a NaN probe summed over the row and checked once at its end; if it holds a NaN
 * the exact scan redoes the row's outputs (a check per group, with the probe in a global, cost
 * ~10 of the loop's ~45 instructions).
 */
function maxRows3x3Stride2(
  first: usize, rowStep: usize, yRow: usize, xs: usize, W: i32, pl: i32, y0: i32, dh: i32, ty0: i32, ty1: i32, oxA: i32, oxB: i32,
): i32 {
  const none = f32x4.splat(-Infinity);
  let row = first + (<usize>oxA << 3);
  const left = oxA == 0 && pl == 1;
  // the first group (with one column of left padding, output 0 reads a float left of the row: −∞)
  let a = columnMax3(row, rowStep, left, none);
  let pa = columnProbe;
  let b = columnMax3(row + 16, rowStep, false, none);
  let pb = columnProbe;
  let ox = oxA;
  for (; ox + 8 <= oxB; ox += 4) {
    const next = row + 32, next1 = next + rowStep, next2 = next1 + rowStep;
    const r0 = v128.load(next), r1 = v128.load(next1), r2 = v128.load(next2);
    const s0 = v128.load(next, 16), s1 = v128.load(next1, 16), s2 = v128.load(next2, 16);
    const na = f32x4.pmax(f32x4.pmax(r0, r1), r2), nb = f32x4.pmax(f32x4.pmax(s0, s1), s2);
    pa = f32x4.add(pa, f32x4.add(f32x4.add(r0, r1), r2));
    pb = f32x4.add(pb, f32x4.add(f32x4.add(s0, s1), s2));
    const even = v128.shuffle<f32>(a, b, 0, 2, 4, 6), odd = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
    v128.store(yRow + (<usize>ox << 2), f32x4.pmax(f32x4.pmax(even, odd), v128.shuffle<f32>(even, na, 1, 2, 3, 4)));
    a = na;
    b = nb;
    row = next;
  }
  const probe = f32x4.add(pa, pb);
  if (v128.any_true(f32x4.ne(probe, probe))) {
    // a NaN in the rows read (or +∞ and −∞): the exact scan decides which windows hold it
    for (let k = oxA; k < ox; k++) stf(yRow + (<usize>k << 2), scanMax(xs, W, k * 2 - pl, 1, 3, y0, dh, ty0, ty1));
  }
  return ox;
}

/**
 * One output row of 2- or 3-wide stride-2 max pooling, columns [oxA, oxB) (at least 4, windows inside
 * the row but for column 0 with one column of left padding) 4 at a time, the last group overlapping the one before it. A function of its own: inlined
 * beside the scalar scan, V8 allocated its registers worse.
 */
function maxRowStride2(xs: usize, yRow: usize, W: i32, pl: i32, y0: i32, dh: i32, ty0: i32, ty1: i32, kw: i32, oxA: i32, oxB: i32): void {
  const rowStep = <usize>(dh * W) << 2;
  const first = xs + (<usize>((y0 + ty0 * dh) * W - pl) << 2);
  let ox = oxA;
  if (kw == 3 && ty1 - ty0 == 3) ox = maxRows3x3Stride2(first, rowStep, yRow, xs, W, pl, y0, dh, ty0, ty1, oxA, oxB);
  for (; ox < oxB; ox = ox + 4 > oxB - 4 && ox + 4 < oxB ? oxB - 4 : ox + 4) {
    // with one column of left padding, output 0 (oxA = 0) reads a float left of the row: −∞ instead
    const m = ox == 0 && pl == 1
      ? maxStride2(first + (<usize>ox << 3), rowStep, ty1 - ty0, kw == 3, true)
      : maxStride2(first + (<usize>ox << 3), rowStep, ty1 - ty0, kw == 3, false);
    if (v128.any_true(f32x4.ne(maxProbe, maxProbe))) {
      // a NaN in the rows read: the exact scan decides which windows hold it
      for (let k = ox; k < ox + 4; k++) stf(yRow + (<usize>k << 2), scanMax(xs, W, k * 2 - pl, 1, kw, y0, dh, ty0, ty1));
    } else {
      v128.store(yRow + (<usize>ox << 2), m);
    }
  }
}

/**
 * One output row of 2×2 stride-2 max-pooling backward, windows inside the input (at least 4 of them,
 * 4 at a time, the last group overlapping the one before it): each window's four dx entries are
 * written, dy at the scan's choice (row-major, the first maximum; with NaN, the last NaN) and zero at
 * the others. x0 and dx0 point at the window row's first input row; g at the row of dy.
 */
function maxGrad2x2Row(x0: usize, W: i32, g: usize, dx0: usize, OW: i32): void {
  const rowB = <usize>W << 2;
  for (let ox = 0; ox < OW; ox = ox + 4 > OW - 4 && ox + 4 < OW ? OW - 4 : ox + 4) {
    const p = x0 + (<usize>ox << 3);
    const a0 = v128.load(p), b0 = v128.load(p, 16), a1 = v128.load(p + rowB), b1 = v128.load(p + rowB, 16);
    // top-left, top-right, bottom-left, bottom-right of 4 windows
    const tl = v128.shuffle<f32>(a0, b0, 0, 2, 4, 6), tr = v128.shuffle<f32>(a0, b0, 1, 3, 5, 7);
    const bl = v128.shuffle<f32>(a1, b1, 0, 2, 4, 6), br = v128.shuffle<f32>(a1, b1, 1, 3, 5, 7);
    const m = f32x4.pmax(f32x4.pmax(tl, tr), f32x4.pmax(bl, br));
    let isTL = f32x4.eq(tl, m);
    let isTR = v128.andnot(f32x4.eq(tr, m), isTL);
    let isBL = v128.andnot(f32x4.eq(bl, m), v128.or(isTL, isTR));
    let isBR = v128.andnot(f32x4.eq(br, m), v128.or(v128.or(isTL, isTR), isBL));
    const probe = f32x4.add(f32x4.add(a0, b0), f32x4.add(a1, b1));
    if (v128.any_true(f32x4.ne(probe, probe))) {
      // lanes holding a NaN (pmax ignored it): the last NaN in scan order
      const nBR = f32x4.ne(br, br);
      const nBL = v128.andnot(f32x4.ne(bl, bl), nBR);
      const nTR = v128.andnot(f32x4.ne(tr, tr), v128.or(nBR, nBL));
      const nTL = v128.andnot(f32x4.ne(tl, tl), v128.or(v128.or(nBR, nBL), nTR));
      const nan = v128.or(v128.or(nBR, nBL), v128.or(nTR, nTL));
      isTL = v128.bitselect(nTL, isTL, nan);
      isTR = v128.bitselect(nTR, isTR, nan);
      isBL = v128.bitselect(nBL, isBL, nan);
      isBR = v128.bitselect(nBR, isBR, nan);
    }
    const d = v128.load(g + (<usize>ox << 2));
    const gTL = v128.and(d, isTL), gTR = v128.and(d, isTR), gBL = v128.and(d, isBL), gBR = v128.and(d, isBR);
    const q = dx0 + (<usize>ox << 3);
    v128.store(q, v128.shuffle<f32>(gTL, gTR, 0, 4, 1, 5));
    v128.store(q, v128.shuffle<f32>(gTL, gTR, 2, 6, 3, 7), 16);
    v128.store(q + rowB, v128.shuffle<f32>(gBL, gBR, 0, 4, 1, 5));
    v128.store(q + rowB, v128.shuffle<f32>(gBL, gBR, 2, 6, 3, 7), 16);
  }
}

/**
 * Max pooling scan shared by forward and backward: taps row-major, the first maximum wins, a NaN is
 * taken as the maximum (PyTorch's rule), padding ignored. Forward (dy == 0) writes y; backward adds
 * dy into dx at each window's argmax (dx zeroed here). Units: planes (n·C + c).
 */
export function maxPool(
  x: usize, y: usize, dy: usize, dx: usize, H: i32, W: i32, OH: i32, OW: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32, lo: i32, hi: i32,
): void {
  const plane = <usize>(H * W) << 2, oplane = <usize>(OH * OW) << 2;
  for (let p = lo; p < hi; p++) {
    const xs = x + <usize>p * plane;
    const o = <usize>p * oplane;
    // 2×2 stride-2 windows inside the input: the gradient rows are written whole
    const grad2x2 = dy != 0 && kh == 2 && kw == 2 && sh == 2 && sw == 2 && dh == 1 && dw == 1 && pt == 0 && pl == 0 &&
      2 * OH <= H && 2 * OW <= W && OW >= 4;
    if (dy && !(grad2x2 && 2 * OH == H && 2 * OW == W)) memory.fill(dx + <usize>p * plane, 0, plane);
    for (let oy = 0; oy < OH; oy++) {
      const y0 = oy * sh - pt;
      const ty0 = tapStart(y0, dh), ty1 = tapEnd(y0, dh, H, kh);
      // forward: interior columns 4 at a time
      let oxA = dy ? OW : min(OW, interiorStart(pl, sw));
      let oxB = oxA;
      if (grad2x2) {
        const row = <usize>(2 * oy * W) << 2;
        maxGrad2x2Row(xs + row, W, dy + o + (<usize>(oy * OW) << 2), dx + <usize>p * plane + row, OW);
        oxA = 0;
        oxB = OW;
      } else if (!dy && sw == 2 && dw == 1 && (kw == 2 || kw == 3)) {
        // outputs whose windows end inside the row (and output 0 with one column of padding)
        if (pl == 1) oxA = 0;
        oxB = max(oxA, min(OW, (W - kw + pl) / 2 + 1));
        if (oxB - oxA >= 4) maxRowStride2(xs, y + o + (<usize>(oy * OW) << 2), W, pl, y0, dh, ty0, ty1, kw, oxA, oxB);
        else oxB = oxA;
      } else if (!dy) {
        // other windows: f32x4.max keeps NaN, like the scan
        for (; oxB + 4 <= OW && vectorFits(oxB, sw, pl, kw, dw, W); oxB += 4) {
          let m = f32x4.splat(-Infinity);
          for (let ty = ty0; ty < ty1; ty++) {
            const row = xs + (<usize>((y0 + ty * dh) * W + oxB * sw - pl) << 2);
            for (let tx = 0; tx < kw; tx++) m = f32x4.max(m, taps4(row + (<usize>(tx * dw) << 2), sw));
          }
          v128.store(y + o + (<usize>(oy * OW + oxB) << 2), m);
        }
      }
      for (let ox = 0; ox < OW; ox++) {
        if (ox == oxA && oxB > oxA) ox = oxB;
        if (ox >= OW) break;
        const m = scanMax(xs, W, ox * sw - pl, dw, kw, y0, dh, ty0, ty1);
        const arg = scanArg;
        const oi = o + (<usize>(oy * OW + ox) << 2);
        if (dy) {
          if (arg >= 0) {
            const d = dx + <usize>p * plane + (<usize>arg << 2);
            stf(d, ldf(d) + ldf(dy + oi));
          }
        } else {
          stf(y + oi, m);
        }
      }
    }
  }
}

// PyTorch's average window along one axis: [start, end) clipped, extent = padded window length.
// @ts-ignore: decorator
@inline function avgDivisor(
  oy: i32, ox: i32, sh: i32, sw: i32, pt: i32, pl: i32, kh: i32, kw: i32, H: i32, W: i32, pb: i32, pr: i32,
  countPad: i32,
): f32 {
  const ys = oy * sh - pt, xs = ox * sw - pl;
  const ye = min(ys + kh, H + pb), xe = min(xs + kw, W + pr);
  if (countPad) return <f32>((ye - ys) * (xe - xs));
  return <f32>((min(ye, H) - max(ys, 0)) * (min(xe, W) - max(xs, 0)));
}

/**
 * Average pooling forward (dy == 0: y = window mean) or backward (dx += dy / divisor over each
 * window; dx zeroed here). Units: planes.
 */
export function avgPool(
  x: usize, y: usize, dy: usize, dx: usize, H: i32, W: i32, OH: i32, OW: i32, kh: i32, kw: i32,
  sh: i32, sw: i32, pt: i32, pb: i32, pl: i32, pr: i32, countPad: i32, lo: i32, hi: i32,
): void {
  const plane = <usize>(H * W) << 2, oplane = <usize>(OH * OW) << 2;
  for (let p = lo; p < hi; p++) {
    const xs = x + <usize>p * plane, dxs = dx + <usize>p * plane;
    const o = <usize>p * oplane;
    if (dy) memory.fill(dxs, 0, plane);
    for (let oy = 0; oy < OH; oy++) {
      const ys = oy * sh - pt;
      const r0 = max(ys, 0), r1 = min(min(ys + kh, H + pb), H);
      // forward: interior columns 4 at a time (same tap order as the scalar sum)
      const oxA = dy ? OW : min(OW, interiorStart(pl, sw));
      let oxB = oxA;
      if (!dy) {
        const div = f32x4.splat(<f32>((countPad ? min(ys + kh, H + pb) - ys : r1 - r0) * kw));
        for (; oxB + 4 <= OW && vectorFits(oxB, sw, pl, kw, 1, W); oxB += 4) {
          let acc = f32x4.splat(0);
          if (kw == 2 && sw == 2) {
            // even + odd lanes of 8 consecutive floats (the scalar order: left tap, then right)
            for (let r = r0; r < r1; r++) {
              const row = xs + (<usize>(r * W + oxB * 2 - pl) << 2);
              const a = v128.load(row), b = v128.load(row, 16);
              acc = f32x4.add(f32x4.add(acc, v128.shuffle<f32>(a, b, 0, 2, 4, 6)), v128.shuffle<f32>(a, b, 1, 3, 5, 7));
            }
          } else {
            for (let r = r0; r < r1; r++) {
              const row = xs + (<usize>(r * W + oxB * sw - pl) << 2);
              for (let tx = 0; tx < kw; tx++) acc = f32x4.add(acc, taps4(row + (<usize>tx << 2), sw));
            }
          }
          v128.store(y + o + (<usize>(oy * OW + oxB) << 2), f32x4.div(acc, div));
        }
      }
      for (let ox = 0; ox < OW; ox++) {
        if (ox == oxA && oxB > oxA) ox = oxB;
        if (ox >= OW) break;
        const xs0 = ox * sw - pl;
        const c0 = max(xs0, 0), c1 = min(min(xs0 + kw, W + pr), W);
        const div = avgDivisor(oy, ox, sh, sw, pt, pl, kh, kw, H, W, pb, pr, countPad);
        const oi = o + (<usize>(oy * OW + ox) << 2);
        if (dy) {
          const g = ldf(dy + oi) / div;
          for (let r = r0; r < r1; r++) {
            for (let c = c0; c < c1; c++) {
              const d = dxs + (<usize>(r * W + c) << 2);
              stf(d, ldf(d) + g);
            }
          }
        } else {
          let s: f32 = 0;
          for (let r = r0; r < r1; r++) {
            for (let c = c0; c < c1; c++) s += ldf(xs + (<usize>(r * W + c) << 2));
          }
          stf(y + oi, s / div);
        }
      }
    }
  }
}

/** Sum of n floats at p: four vector accumulators, then the tail. */
export function sumRange(p: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    a0 = f32x4.add(a0, v128.load(q));
    a1 = f32x4.add(a1, v128.load(q, 16));
    a2 = f32x4.add(a2, v128.load(q, 32));
    a3 = f32x4.add(a3, v128.load(q, 48));
  }
  for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, v128.load(p + (<usize>i << 2)));
  let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) s += ldf(p + (<usize>i << 2));
  return s;
}

/** y[p] = mean of plane p of S elements. Units: planes. */
export function globalAvgPool(x: usize, y: usize, S: i32, lo: i32, hi: i32): void {
  for (let p = lo; p < hi; p++) stf(y + (<usize>p << 2), sumRange(x + (<usize>(p * S) << 2), S) / <f32>S);
}
