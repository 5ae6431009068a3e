// Helpers shared by every kernel file. Pointers are byte offsets into the imported memory; the
// JS side owns allocation (runtime stub), so nothing here allocates.

/** a·b + c: fused (one rounding) in the relaxed build, mul then add in the plain build. */
// @ts-ignore: decorator
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** max(v, 0) lane by lane, NaN kept (f32x4.max would keep it too, but V8 spends eight instructions on its NaN and −0 rules). */
// @ts-ignore: decorator
@inline export function reluKeepNaN(v: v128): v128 {
  const z = f32x4.splat(0);
  return v128.bitselect(v, z, v128.or(f32x4.ne(v, v), f32x4.gt(v, z)));
}

/** max(v, 0), NaN kept. */
// @ts-ignore: decorator
@inline export function reluKeepNaNScalar(v: f32): f32 {
  return v > 0 || v != v ? v : 0;
}

// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline export function ldf(p: usize): f32 {
  return load<f32>(p);
}

// @ts-ignore: decorator
@inline export function stf(p: usize, v: f32): void {
  store<f32>(p, v);
}

/** Four floats at p, p+step, p+2·step, p+3·step (step in bytes) as one vector. */
// @ts-ignore: decorator
@inline export function gather4(p: usize, step: usize): v128 {
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * step));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * step));
}

/** The first byte after this module's static data: the JS arena starts above it. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * The SIMD ceiling probe: per unit, `rounds` rounds of 24 multiply-adds (12 independent f32x4
 * accumulators, registers only; relaxed_madd in the relaxed build, mul + add in the plain one), as the
 * convolution kernels issue them. Each unit stores a lane of its result at out + 4·unit so the chains
 * stay live. 192 flops per round.
 */
export function peakProbe(rounds: i32, out: usize, lo: i32, hi: i32): void {
  const k = f32x4.splat(0.999), c = f32x4.splat(0.001);
  for (let u = lo; u < hi; u++) {
    let a0 = f32x4.splat(<f32>u), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
    let a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
    for (let i = 0; i < rounds; i++) {
      a0 = fma(a0, k, c); a1 = fma(a1, k, c); a2 = fma(a2, k, c); a3 = fma(a3, k, c);
      a4 = fma(a4, k, c); a5 = fma(a5, k, c); a6 = fma(a6, k, c); a7 = fma(a7, k, c);
      a8 = fma(a8, k, c); a9 = fma(a9, k, c); a10 = fma(a10, k, c); a11 = fma(a11, k, c);
      a0 = fma(a0, k, c); a1 = fma(a1, k, c); a2 = fma(a2, k, c); a3 = fma(a3, k, c);
      a4 = fma(a4, k, c); a5 = fma(a5, k, c); a6 = fma(a6, k, c); a7 = fma(a7, k, c);
      a8 = fma(a8, k, c); a9 = fma(a9, k, c); a10 = fma(a10, k, c); a11 = fma(a11, k, c);
    }
    const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
    stf(out + (<usize>u << 2), hsum(f32x4.add(s, f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)))));
  }
}
