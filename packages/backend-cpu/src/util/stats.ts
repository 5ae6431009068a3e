/**
 * Range primitives shared by every normalization kernel (batch, layer, group norm, FRN) and the
 * global average pool. All sums run in float64 (JS numbers) with four independent accumulators;
 * statistics are two-pass (mean, then centred squares with the rounding-error correction term),
 * never E[x²] − E[x]².
 */

/** Σ x[i] for i in [start, end). */
export function sumRange(x: Float32Array, start: number, end: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = start;
  for (const e4 = end - 3; i < e4; i += 4) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
  }
  for (; i < end; i++) s0 += x[i]!;
  return (s0 + s1) + (s2 + s3);
}

/** Σ x[i]² for i in [start, end). */
export function sumSquaresRange(x: Float32Array, start: number, end: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = start;
  for (const e4 = end - 3; i < e4; i += 4) {
    const a = x[i]!, b = x[i + 1]!, c = x[i + 2]!, d = x[i + 3]!;
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (; i < end; i++) {
    const a = x[i]!;
    s0 += a * a;
  }
  return (s0 + s1) + (s2 + s3);
}

/** Σ (x[i] − mean) into out[0] and Σ (x[i] − mean)² into out[1] (added to what is there). */
function accumulateDeviations(x: Float32Array, start: number, end: number, mean: number, out: Float64Array): void {
  // four independent chains for the squares (each add waits on the previous one of its chain)
  let d0 = 0, d1 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
  let i = start;
  for (const e4 = end - 3; i < e4; i += 4) {
    const a = x[i]! - mean, b = x[i + 1]! - mean, c = x[i + 2]! - mean, d = x[i + 3]! - mean;
    d0 += a + b;
    d1 += c + d;
    q0 += a * a;
    q1 += b * b;
    q2 += c * c;
    q3 += d * d;
  }
  for (; i < end; i++) {
    const a = x[i]! - mean;
    d0 += a;
    q0 += a * a;
  }
  out[0]! += d0 + d1;
  out[1]! += (q0 + q1) + (q2 + q3);
}

/**
 * Mean and biased variance of `count` contiguous segments of `len` elements, the first at `base`,
 * each `stride` after the previous (batch norm: one channel across the batch; layer/group norm:
 * count = 1). Writes out[0] = mean, out[1] = variance. `out` must have 2 elements.
 */
export function segmentsMeanVar(
  x: Float32Array, base: number, count: number, stride: number, len: number, out: Float64Array,
): void {
  const n = count * len;
  let s = 0;
  for (let k = 0, o = base; k < count; k++, o += stride) s += sumRange(x, o, o + len);
  const mean = s / n;
  out[0] = 0;
  out[1] = 0;
  for (let k = 0, o = base; k < count; k++, o += stride) accumulateDeviations(x, o, o + len, mean, out);
  const dev = out[0]! / n;
  const variance = out[1]! / n - dev * dev;
  out[0] = mean + dev;
  out[1] = variance > 0 ? variance : 0;
}

/** y[i] = x[i]·a + b for i in [start, end): the normalize-and-affine step with folded constants. */
export function affineRange(x: Float32Array, y: Float32Array, start: number, end: number, a: number, b: number): void {
  for (let i = start; i < end; i++) y[i] = x[i]! * a + b;
}

/** out[0] += Σ dy[i], out[1] += Σ dy[i]·(x[i] − mean) over [start, end): the norm-backward sums. */
export function accumulateDySums(
  dy: Float32Array, x: Float32Array, start: number, end: number, mean: number, out: Float64Array,
): void {
  let g0 = 0, g1 = 0, p0 = 0, p1 = 0, p2 = 0, p3 = 0;
  let i = start;
  for (const e4 = end - 3; i < e4; i += 4) {
    const a = dy[i]!, b = dy[i + 1]!, c = dy[i + 2]!, d = dy[i + 3]!;
    g0 += a + b;
    g1 += c + d;
    p0 += a * (x[i]! - mean);
    p1 += b * (x[i + 1]! - mean);
    p2 += c * (x[i + 2]! - mean);
    p3 += d * (x[i + 3]! - mean);
  }
  for (; i < end; i++) {
    const a = dy[i]!;
    g0 += a;
    p0 += a * (x[i]! - mean);
  }
  out[0]! += g0 + g1;
  out[1]! += (p0 + p1) + (p2 + p3);
}

/**
 * dx[i] = k·dy[i] − c0 − (x[i] − mean)·c1 over [start, end): the closed-form input gradient of
 * every normalization whose affine scale is constant over the range.
 */
export function normBackwardRange(
  dy: Float32Array, x: Float32Array, dx: Float32Array, start: number, end: number,
  mean: number, k: number, c0: number, c1: number,
): void {
  const c = c0 - mean * c1;
  for (let i = start; i < end; i++) dx[i] = k * dy[i]! - x[i]! * c1 - c;
}
