// Helpers for the per-instruction-set kernel families: argument checks, parallel loops and the
// SIMD vector type. Everything here lives in hc::HC_ISA (see common.h on why).
#pragma once
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include "common.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#elif defined(__AVX2__)
#include <immintrin.h>
#endif

#ifndef HC_ISA
#error "HC_ISA must name the instruction set of this translation unit"
#endif

namespace hc {
namespace HC_ISA {

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

/** Records why the call cannot run; the binding turns it into a JS error. Always returns false. */
__attribute__((format(printf, 2, 3))) inline bool fail(Call& c, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c.err, sizeof c.err, fmt, ap);
  va_end(ap);
  return false;
}

inline int64_t numel(const Tensor& t) { return t.size; }
inline bool present(const Call& c, int i) { return i < c.nIn && c.in[i].data != nullptr; }

/** Checks the count of inputs/outputs and that required inputs are present. */
inline bool arity(Call& c, const char* op, int nIn, int required, int nOut, int nAttr) {
  if (c.nIn != nIn) return fail(c, "%s: expected %d inputs, got %d", op, nIn, c.nIn);
  if (c.nOut != nOut) return fail(c, "%s: expected %d outputs, got %d", op, nOut, c.nOut);
  if (c.nAttr != nAttr) return fail(c, "%s: expected %d attributes, got %d", op, nAttr, c.nAttr);
  for (int i = 0; i < required; i++)
    if (!c.in[i].data) return fail(c, "%s: input %d is required", op, i);
  return true;
}

/** An integer attribute in [lo, hi]. */
inline bool attrInt(Call& c, const char* op, int i, int64_t lo, int64_t hi, int64_t* out) {
  double v = c.attr[i];
  if (!(v >= (double)lo && v <= (double)hi) || v != std::floor(v))
    return fail(c, "%s: attribute %d must be an integer in [%lld, %lld], got %g", op, i, (long long)lo,
                (long long)hi, v);
  *out = (int64_t)v;
  return true;
}

inline bool attrFinite(Call& c, const char* op, int i, float* out) {
  double v = c.attr[i];
  if (!std::isfinite(v)) return fail(c, "%s: attribute %d must be finite, got %g", op, i, v);
  *out = (float)v;
  return true;
}

inline bool sizeIs(Call& c, const char* op, const char* what, const Tensor& t, int64_t n) {
  if (t.size != n) return fail(c, "%s: %s must have %lld elements, got %lld", op, what, (long long)n, (long long)t.size);
  return true;
}

inline bool sameShape(const Tensor& a, const Tensor& b) {
  if (a.rank != b.rank) return false;
  for (int i = 0; i < a.rank; i++)
    if (a.shape[i] != b.shape[i]) return false;
  return true;
}

/** [N, C, spatial...] seen as N, C, S; requires rank >= 2. */
inline bool ncs(Call& c, const char* op, const Tensor& x, int64_t* N, int64_t* C, int64_t* S) {
  if (x.rank < 2) return fail(c, "%s: x must have rank >= 2, got %d", op, x.rank);
  *N = x.shape[0];
  *C = x.shape[1];
  *S = x.size / (*N * *C);
  return true;
}

/** Runs f(begin, end, thread) over [0, n) on the pool. */
template <class F>
void par(Call& c, int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
  if (c.sv->threads <= 1 || n <= grain) {
    f((int64_t)0, n, 0);
    return;
  }
  c.sv->parallel(c.sv, n, grain, [](void* ctx, int64_t b, int64_t e, int t) { (*static_cast<const F*>(ctx))(b, e, t); },
                 const_cast<F*>(&f));
}

inline float* scratch(Call& c, int thread, int slot, int64_t floats) { return c.sv->scratch(c.sv, thread, slot, floats); }

// ---- SIMD vector of VL floats ----
#if defined(__AVX512F__)
struct V {
  static constexpr int L = 16;
  __m512 v;
  static V load(const float* p) { return {_mm512_loadu_ps(p)}; }
  /** The first k (0 ≤ k < L) floats at p, zeros after; reads nothing past p + k. */
  static V loadFirst(const float* p, int64_t k) { return {_mm512_maskz_loadu_ps((__mmask16)((1u << k) - 1), p)}; }
  static V add(V a, V b) { return {_mm512_add_ps(a.v, b.v)}; }
  static V set1(float a) { return {_mm512_set1_ps(a)}; }
  static V zero() { return {_mm512_setzero_ps()}; }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
  static V max(V a, V b) { return {_mm512_max_ps(a.v, b.v)}; }
  static V sub(V a, V b) { return {_mm512_sub_ps(a.v, b.v)}; }
  static V mul(V a, V b) { return {_mm512_mul_ps(a.v, b.v)}; }
  static V abs(V a) { return {_mm512_abs_ps(a.v)}; }
  /** Stores the first k (0 < k ≤ L) lanes at p; writes nothing past p + k. */
  void storeFirst(float* p, int64_t k) const { _mm512_mask_storeu_ps(p, (__mmask16)(k >= 16 ? 0xffff : (1u << k) - 1), v); }
  float sum() const { return _mm512_reduce_add_ps(v); }
  float maxLane() const { return _mm512_reduce_max_ps(v); }
};
constexpr int kMR = 8, kNV = 3;  // 8 rows × 48 columns: 24 accumulators
constexpr int kDotM = 4, kDotK = 6;  // filter-gradient dot tile: 24 accumulators
#elif defined(__AVX2__)
struct V {
  static constexpr int L = 8;
  __m256 v;
  static V load(const float* p) { return {_mm256_loadu_ps(p)}; }
  /** The first k (0 ≤ k < L) floats at p, zeros after; reads nothing past p + k. */
  static V loadFirst(const float* p, int64_t k) {
    alignas(32) static const int32_t window[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return {_mm256_maskload_ps(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(window + 8 - k)))};
  }
  static V add(V a, V b) { return {_mm256_add_ps(a.v, b.v)}; }
  static V set1(float a) { return {_mm256_set1_ps(a)}; }
  static V zero() { return {_mm256_setzero_ps()}; }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  static V fma(V a, V b, V c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
  static V max(V a, V b) { return {_mm256_max_ps(a.v, b.v)}; }
  static V sub(V a, V b) { return {_mm256_sub_ps(a.v, b.v)}; }
  static V mul(V a, V b) { return {_mm256_mul_ps(a.v, b.v)}; }
  static V abs(V a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v)}; }
  /** Stores the first k (0 < k ≤ L) lanes at p; writes nothing past p + k. */
  void storeFirst(float* p, int64_t k) const {
    alignas(32) static const int32_t window[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    _mm256_maskstore_ps(p, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(window + 8 - (k >= 8 ? 8 : k))), v);
  }
  float maxLane() const {
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
  }
  float sum() const {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
  }
};
constexpr int kMR = 4, kNV = 3;  // 4 rows × 24 columns: 12 accumulators
constexpr int kDotM = 2, kDotK = 4;  // 8 accumulators + 6 loads within 16 registers
#else
struct V {
  static constexpr int L = 4;
  float v[4];
  static V load(const float* p) { return {{p[0], p[1], p[2], p[3]}}; }
  /** The first k (0 ≤ k < L) floats at p, zeros after; reads nothing past p + k. */
  static V loadFirst(const float* p, int64_t k) {
    V r = zero();
    for (int64_t i = 0; i < k; i++) r.v[i] = p[i];
    return r;
  }
  static V add(V a, V b) {
    V r;
    for (int i = 0; i < 4; i++) r.v[i] = a.v[i] + b.v[i];
    return r;
  }
  static V set1(float a) { return {{a, a, a, a}}; }
  static V zero() { return {{0, 0, 0, 0}}; }
  void store(float* p) const {
    for (int i = 0; i < 4; i++) p[i] = v[i];
  }
  static V fma(V a, V b, V c) {
    V r;
    for (int i = 0; i < 4; i++) r.v[i] = a.v[i] * b.v[i] + c.v[i];
    return r;
  }
  static V max(V a, V b) {
    V r;
    for (int i = 0; i < 4; i++) r.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];
    return r;
  }
  float sum() const { return (v[0] + v[1]) + (v[2] + v[3]); }
  static V sub(V a, V b) {
    V r;
    for (int i = 0; i < 4; i++) r.v[i] = a.v[i] - b.v[i];
    return r;
  }
  static V mul(V a, V b) {
    V r;
    for (int i = 0; i < 4; i++) r.v[i] = a.v[i] * b.v[i];
    return r;
  }
};
constexpr int kMR = 4, kNV = 2;
constexpr int kDotM = 2, kDotK = 2;
#endif
constexpr int kNR = kNV * V::L;


// ---- reductions: float vector lanes within 1024-element chunks, chunks summed in double ----

/** Σ a·b over n elements (b = nullptr: Σ a), with a shifted by `shift` (Σ (a − shift)·b). */
inline void sums2(const float* a, const float* b, int64_t n, float shiftA, float shiftB, bool square, double* out) {
  // out[0] = Σ (a − shiftA), out[1] = Σ (a − shiftA)·(b − shiftB) (b = a when square)
  constexpr int L = V::L;
  double s0 = 0, s1 = 0;
  const V ha = V::set1(shiftA), hb = V::set1(shiftB), one = V::set1(1.0f);
  for (int64_t c0 = 0; c0 < n; c0 += 1024) {
    const int64_t c1 = imin(n, c0 + 1024);
    V p0 = V::zero(), p1 = V::zero(), q0 = V::zero(), q1 = V::zero();
    int64_t i = c0;
    for (; i + 2 * L <= c1; i += 2 * L) {
      V x0 = V::sub(V::load(a + i), ha), x1 = V::sub(V::load(a + i + L), ha);
      V y0 = square ? x0 : V::sub(V::load(b + i), hb), y1 = square ? x1 : V::sub(V::load(b + i + L), hb);
      p0 = V::fma(x0, one, p0);
      p1 = V::fma(x1, one, p1);
      q0 = V::fma(x0, y0, q0);
      q1 = V::fma(x1, y1, q1);
    }
    double t0 = (double)p0.sum() + (double)p1.sum(), t1 = (double)q0.sum() + (double)q1.sum();
    for (; i < c1; i++) {
      const float x = a[i] - shiftA, y = square ? x : b[i] - shiftB;
      t0 += x;
      t1 += (double)x * y;
    }
    s0 += t0;
    s1 += t1;
  }
  out[0] = s0;
  out[1] = s1;
}

/** out[0] = Σ a·w, out[1] = Σ a·w·(b − shiftB) (w = nullptr: weight 1); float lanes per chunk, chunks in double. */
inline void weightedSums(const float* a, const float* w, const float* b, int64_t n, float shiftB, double* out) {
  constexpr int L = V::L;
  double s0 = 0, s1 = 0;
  const V hb = V::set1(shiftB), one = V::set1(1.0f);
  for (int64_t c0 = 0; c0 < n; c0 += 1024) {
    const int64_t c1 = imin(n, c0 + 1024);
    V p = V::zero(), q = V::zero();
    int64_t i = c0;
    for (; i + L <= c1; i += L) {
      const V g = w ? V::mul(V::load(a + i), V::load(w + i)) : V::load(a + i);
      p = V::fma(g, one, p);
      q = V::fma(g, V::sub(V::load(b + i), hb), q);
    }
    double t0 = p.sum(), t1 = q.sum();
    for (; i < c1; i++) {
      const float g = w ? a[i] * w[i] : a[i];
      t0 += g;
      t1 += (double)g * (b[i] - shiftB);
    }
    s0 += t0;
    s1 += t1;
  }
  out[0] = s0;
  out[1] = s1;
}

/**
 * Σ x, with the same rounding scheme as sums2 (float lanes per chunk, chunks in double) but one
 * accumulation per element and the tail in one partial load: global pooling sums many short rows
 * (7×7 = 49 floats), where a scalar tail and a second (squares) accumulator cost more than the loads.
 * `Chunk`: floats summed in float lanes before a chunk goes into the double (longer chunks, fewer
 * horizontal reductions, more rounding per lane).
 */
template <int64_t Chunk = 1024>
inline double sumOf(const float* x, int64_t n) {
  constexpr int L = V::L;
  // Four chains, and the lines 2 KiB ahead asked for early: a 6.4 MB mean (8×64×56² global pooling)
  // went from 67 to 60 µs on one core.
  constexpr int64_t kAhead = 512;
  double s = 0;
  for (int64_t c0 = 0; c0 < n; c0 += Chunk) {
    const int64_t c1 = imin(n, c0 + Chunk);
    V p0 = V::zero(), p1 = V::zero(), p2 = V::zero(), p3 = V::zero();
    int64_t i = c0;
    for (; i + 4 * L <= c1; i += 4 * L) {
      for (int line = 0; line < 4 * L; line += 16) __builtin_prefetch(x + i + kAhead + line);
      p0 = V::add(p0, V::load(x + i));
      p1 = V::add(p1, V::load(x + i + L));
      p2 = V::add(p2, V::load(x + i + 2 * L));
      p3 = V::add(p3, V::load(x + i + 3 * L));
    }
    for (; i + L <= c1; i += L) p0 = V::add(p0, V::load(x + i));
    if (i < c1) p1 = V::add(p1, V::loadFirst(x + i, c1 - i));
    s += (double)V::add(V::add(p0, p1), V::add(p2, p3)).sum();
  }
  return s;
}

}  // namespace HC_ISA
}  // namespace hc
