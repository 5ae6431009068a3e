// Helpers shared by every kernel file. Pointers are byte offsets into the imported memory; the
// JS side owns allocation (runtime stub), so nothing here allocates.

/** a·b + c: fused (one rounding) in the relaxed build, mul then add in the plain build. */
// @ts-ignore: decorator
@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
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
