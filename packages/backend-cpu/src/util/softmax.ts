import type { AxisAttrs } from '@hypercolumn/core';

/**
 * Softmax machinery over the middle axis of x seen as [outer, axisSize, inner], numerically
 * stable (max subtracted before exp, sums in float64). inner = 1 (the last axis, the usual case)
 * runs along contiguous rows; inner > 1 sweeps whole contiguous [inner] rows per axis step with
 * per-lane scratch, so memory is still read in order.
 */

/** max over [start, end) (NaN is skipped here; it reaches the output through exp(NaN − m)). */
export function rangeMax(x: Float32Array, start: number, end: number): number {
  let m = -Infinity;
  for (let i = start; i < end; i++) {
    const v = x[i]!;
    if (v > m) m = v;
  }
  return m;
}

/**
 * log Σ exp(x) over [start, end) as [m, log Σ exp(x − m)], m the maximum: callers subtract m from
 * x first, since m + log s rounds to m once |m| ≥ 2^53·log s (logits of 1e20 would lose log K).
 */
export function rangeLogSumExp(x: Float32Array, start: number, end: number): [number, number] {
  const m = rangeMax(x, start, end);
  let s = 0;
  for (let i = start; i < end; i++) s += Math.exp(x[i]! - m);
  return [m, Math.log(s)];
}

/** y = softmax(x) (log = false) or log softmax(x) (log = true) along the axis. */
export function softmaxForward(x: Float32Array, y: Float32Array, { outer, axisSize: K, inner }: AxisAttrs, log: boolean): void {
  if (inner === 1) {
    for (let o = 0, b = 0; o < outer; o++, b += K) {
      const e = b + K;
      const m = rangeMax(x, b, e);
      let s = 0;
      if (log) {
        for (let i = b; i < e; i++) s += Math.exp(x[i]! - m);
        // (x − m) − log s, not x − (m + log s): for |m| ≥ 2^53·log s the sum m + log s rounds to m
        const logSum = Math.log(s);
        for (let i = b; i < e; i++) y[i] = x[i]! - m - logSum;
      } else {
        for (let i = b; i < e; i++) {
          const v = Math.exp(x[i]! - m);
          y[i] = v;
          s += v;
        }
        const inv = 1 / s;
        for (let i = b; i < e; i++) y[i]! *= inv;
      }
    }
    return;
  }
  const mx = new Float64Array(inner), sm = new Float64Array(inner);
  const block = K * inner;
  for (let o = 0, b = 0; o < outer; o++, b += block) {
    const e = b + block;
    mx.fill(-Infinity);
    sm.fill(0);
    for (let r = b; r < e; r += inner) {
      for (let i = 0; i < inner; i++) {
        const v = x[r + i]!;
        if (v > mx[i]!) mx[i] = v;
      }
    }
    for (let r = b; r < e; r += inner) {
      for (let i = 0; i < inner; i++) {
        const v = Math.exp(x[r + i]! - mx[i]!);
        if (!log) y[r + i] = v;
        sm[i]! += v;
      }
    }
    if (log) {
      for (let i = 0; i < inner; i++) sm[i] = Math.log(sm[i]!);
      for (let r = b; r < e; r += inner) for (let i = 0; i < inner; i++) y[r + i] = x[r + i]! - mx[i]! - sm[i]!;
    } else {
      for (let i = 0; i < inner; i++) sm[i] = 1 / sm[i]!;
      for (let r = b; r < e; r += inner) for (let i = 0; i < inner; i++) y[r + i]! *= sm[i]!;
    }
  }
}

/**
 * Gradient from the forward output y: softmax dx = y·(dy − Σ dy·y); log softmax
 * (log = true) dx = dy − exp(y)·Σ dy. Sums along the axis in float64.
 */
export function softmaxBackwardCore(
  dy: Float32Array, y: Float32Array, dx: Float32Array, { outer, axisSize: K, inner }: AxisAttrs, log: boolean,
): void {
  if (inner === 1) {
    for (let o = 0, b = 0; o < outer; o++, b += K) {
      const e = b + K;
      let s = 0;
      if (log) {
        for (let i = b; i < e; i++) s += dy[i]!;
        for (let i = b; i < e; i++) dx[i] = dy[i]! - Math.exp(y[i]!) * s;
      } else {
        for (let i = b; i < e; i++) s += dy[i]! * y[i]!;
        for (let i = b; i < e; i++) dx[i] = y[i]! * (dy[i]! - s);
      }
    }
    return;
  }
  const sm = new Float64Array(inner);
  const block = K * inner;
  for (let o = 0, b = 0; o < outer; o++, b += block) {
    const e = b + block;
    sm.fill(0);
    if (log) {
      for (let r = b; r < e; r += inner) for (let i = 0; i < inner; i++) sm[i]! += dy[r + i]!;
      for (let r = b; r < e; r += inner) {
        for (let i = 0; i < inner; i++) dx[r + i] = dy[r + i]! - Math.exp(y[r + i]!) * sm[i]!;
      }
    } else {
      for (let r = b; r < e; r += inner) for (let i = 0; i < inner; i++) sm[i]! += dy[r + i]! * y[r + i]!;
      for (let r = b; r < e; r += inner) {
        for (let i = 0; i < inner; i++) dx[r + i] = y[r + i]! * (dy[r + i]! - sm[i]!);
      }
    }
  }
}
