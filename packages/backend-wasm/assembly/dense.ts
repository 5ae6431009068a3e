import { fma, hsum, ldf, stf } from './common';

/**
 * C[M, N] = A[M, K]·B[K, N] (+ bias[N]), all row-major. Tiles of 4 rows × 8 columns (8 vector
 * accumulators); the column tail in 4-wide vectors then scalars. Units: groups of 4 rows.
 */
export function gemm(a: usize, b: usize, bias: usize, c: usize, M: i32, K: i32, N: i32, lo: i32, hi: i32): void {
  const rowA = <usize>K << 2, rowB = <usize>N << 2;
  for (let u = lo; u < hi; u++) {
    const i0 = u * 4;
    const rows = min(4, M - i0);
    if (rows == 4) {
      const a0 = a + <usize>i0 * rowA, a1 = a0 + rowA, a2 = a1 + rowA, a3 = a2 + rowA;
      let j = 0;
      for (; j + 8 <= N; j += 8) {
        let c0 = f32x4.splat(0), d0 = c0, c1 = c0, d1 = c0, c2 = c0, d2 = c0, c3 = c0, d3 = c0;
        let bp = b + (<usize>j << 2);
        for (let k = 0; k < K; k++, bp += rowB) {
          const bl = v128.load(bp), bh = v128.load(bp, 16);
          const ko = <usize>k << 2;
          const x0 = v128.load32_splat(a0 + ko), x1 = v128.load32_splat(a1 + ko);
          const x2 = v128.load32_splat(a2 + ko), x3 = v128.load32_splat(a3 + ko);
          c0 = fma(x0, bl, c0); d0 = fma(x0, bh, d0);
          c1 = fma(x1, bl, c1); d1 = fma(x1, bh, d1);
          c2 = fma(x2, bl, c2); d2 = fma(x2, bh, d2);
          c3 = fma(x3, bl, c3); d3 = fma(x3, bh, d3);
        }
        if (bias) {
          const bl = v128.load(bias + (<usize>j << 2)), bh = v128.load(bias + (<usize>j << 2), 16);
          c0 = f32x4.add(c0, bl); d0 = f32x4.add(d0, bh); c1 = f32x4.add(c1, bl); d1 = f32x4.add(d1, bh);
          c2 = f32x4.add(c2, bl); d2 = f32x4.add(d2, bh); c3 = f32x4.add(c3, bl); d3 = f32x4.add(d3, bh);
        }
        const cp = c + (<usize>(i0 * N + j) << 2);
        v128.store(cp, c0); v128.store(cp, d0, 16);
        v128.store(cp + rowB, c1); v128.store(cp + rowB, d1, 16);
        v128.store(cp + 2 * rowB, c2); v128.store(cp + 2 * rowB, d2, 16);
        v128.store(cp + 3 * rowB, c3); v128.store(cp + 3 * rowB, d3, 16);
      }
      if (j < N) gemmRows(a, b, bias, c, K, N, i0, 4, j);
    } else {
      gemmRows(a, b, bias, c, K, N, i0, rows, 0);
    }
  }
}

/** Rows [i0, i0 + rows) and columns [j0, N) of the product: one row at a time, 4-wide then scalar. */
function gemmRows(a: usize, b: usize, bias: usize, c: usize, K: i32, N: i32, i0: i32, rows: i32, j0: i32): void {
  const rowA = <usize>K << 2, rowB = <usize>N << 2;
  for (let i = i0; i < i0 + rows; i++) {
    const ai = a + <usize>i * rowA;
    let j = j0;
    for (; j + 4 <= N; j += 4) {
      let acc = bias ? v128.load(bias + (<usize>j << 2)) : f32x4.splat(0);
      let bp = b + (<usize>j << 2);
      for (let k = 0; k < K; k++, bp += rowB) acc = fma(v128.load32_splat(ai + (<usize>k << 2)), v128.load(bp), acc);
      v128.store(c + (<usize>(i * N + j) << 2), acc);
    }
    for (; j < N; j++) {
      let s: f32 = bias ? ldf(bias + (<usize>j << 2)) : 0;
      let bp = b + (<usize>j << 2);
      for (let k = 0; k < K; k++, bp += rowB) s += ldf(ai + (<usize>k << 2)) * ldf(bp);
      stf(c + (<usize>(i * N + j) << 2), s);
    }
  }
}

/** y[c, r] = x[r, c] for a batch of R×Cc matrices, in 8×8 blocks. Units: matrices × row blocks. */
export function transpose2d(x: usize, y: usize, R: i32, Cc: i32, lo: i32, hi: i32): void {
  const rb = (R + 7) >> 3;
  const mat = <usize>(R * Cc) << 2;
  for (let u = lo; u < hi; u++) {
    const m = u / rb, r0 = (u % rb) * 8;
    const xs = x + <usize>m * mat, ys = y + <usize>m * mat;
    const r1 = min(r0 + 8, R);
    for (let c0 = 0; c0 < Cc; c0 += 8) {
      const c1 = min(c0 + 8, Cc);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) stf(ys + (<usize>(c * R + r) << 2), ldf(xs + (<usize>(r * Cc + c) << 2)));
      }
    }
  }
}

// Softmax family on x seen as [outer, axis, inner]; a unit is one outer index (all inner lanes).

/** Maximum along the axis (a NaN wins), as f64. */
// @ts-ignore: decorator
@inline function axisMax(x: usize, A: i32, inner: i32): f64 {
  let m: f32 = -Infinity;
  const step = <usize>inner << 2;
  let p = x;
  for (let k = 0; k < A; k++, p += step) {
    const v = ldf(p);
    if (v > m || v != v) m = v;
  }
  return <f64>m;
}

// @ts-ignore: decorator
@inline function axisExpSum(x: usize, A: i32, inner: i32, m: f32): f64 {
  let s: f64 = 0;
  const step = <usize>inner << 2;
  let p = x;
  for (let k = 0; k < A; k++, p += step) s += <f64>Mathf.exp(ldf(p) - m);
  return s;
}

/** log: 0 softmax, 1 log-softmax. Units: outer × inner lanes. */
export function softmax(x: usize, y: usize, A: i32, inner: i32, log: i32, lo: i32, hi: i32): void {
  const step = <usize>inner << 2;
  for (let u = lo; u < hi; u++) {
    const o = u / inner, j = u % inner;
    const base = (<usize>(o * A * inner + j)) << 2;
    const m = <f32>axisMax(x + base, A, inner);
    const s = axisExpSum(x + base, A, inner, m);
    const lse = <f32>Math.log(s);
    const inv = <f32>(1.0 / s);
    let p = base;
    for (let k = 0; k < A; k++, p += step) {
      const d = ldf(x + p) - m;
      stf(y + p, log ? d - lse : Mathf.exp(d) * inv);
    }
  }
}

/**
 * Softmax gradient from its output: dx = y·(dy − Σ dy·y); log-softmax: dx = dy − exp(y)·Σ dy.
 * Units: outer × inner lanes.
 */
export function softmaxGrad(dy: usize, y: usize, dx: usize, A: i32, inner: i32, log: i32, lo: i32, hi: i32): void {
  const step = <usize>inner << 2;
  for (let u = lo; u < hi; u++) {
    const o = u / inner, j = u % inner;
    const base = (<usize>(o * A * inner + j)) << 2;
    let s: f64 = 0;
    let p = base;
    for (let k = 0; k < A; k++, p += step) s += log ? <f64>ldf(dy + p) : <f64>ldf(dy + p) * <f64>ldf(y + p);
    const sf = <f32>s;
    p = base;
    for (let k = 0; k < A; k++, p += step) {
      const yv = ldf(y + p), d = ldf(dy + p);
      stf(dx + p, log ? d - Mathf.exp(yv) * sf : yv * (d - sf));
    }
  }
}

/** Index of the first maximum along the axis (a NaN counts as the maximum, the first one wins). */
export function argmax(x: usize, y: usize, A: i32, inner: i32, lo: i32, hi: i32): void {
  const step = <usize>inner << 2;
  for (let u = lo; u < hi; u++) {
    const o = u / inner, j = u % inner;
    let p = x + ((<usize>(o * A * inner + j)) << 2);
    let m: f32 = ldf(p);
    let best = 0;
    if (m == m) {
      p += step;
      for (let k = 1; k < A; k++, p += step) {
        const v = ldf(p);
        if (v != v) {
          best = k;
          break;
        }
        if (v > m) {
          m = v;
          best = k;
        }
      }
    }
    stf(y + (<usize>u << 2), <f32>best);
  }
}

/**
 * Softmax cross-entropy over rows of K logits. grad == 0: loss[0] = mean over rows of
 * logsumexp(row) − row[label]. Otherwise dlogits = (softmax − onehot(label))·dy[0]/N. Serial.
 */
export function crossEntropy(logits: usize, labels: usize, N: i32, K: i32, dy: usize, out: usize): void {
  let total: f64 = 0;
  const scale: f32 = dy ? ldf(dy) / <f32>N : 0;
  for (let n = 0; n < N; n++) {
    const row = logits + (<usize>(n * K) << 2);
    const labelValue = ldf(labels + (<usize>n << 2));
    // not a class index in [0, K) (NaN included): NaN, never an index
    if (!(labelValue >= 0 && <f64>labelValue < <f64>K && Mathf.floor(labelValue) == labelValue)) {
      if (dy) {
        const o = out + (<usize>(n * K) << 2);
        for (let k = 0; k < K; k++) stf(o + (<usize>k << 2), NaN);
      } else {
        total = NaN;
      }
      continue;
    }
    const label = <i32>labelValue;
    const m = <f32>axisMax(row, K, 1);
    const s = axisExpSum(row, K, 1, m);
    if (dy) {
      const inv = <f32>(1.0 / s);
      const o = out + (<usize>(n * K) << 2);
      for (let k = 0; k < K; k++) {
        const p = Mathf.exp(ldf(row + (<usize>k << 2)) - m) * inv;
        stf(o + (<usize>k << 2), (p - (k == label ? <f32>1 : <f32>0)) * scale);
      }
    } else {
      total += Math.log(s) + <f64>m - <f64>ldf(row + (<usize>label << 2));
    }
  }
  if (!dy) stf(out, <f32>(total / <f64>N));
}
