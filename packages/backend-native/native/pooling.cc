// Pooling family: max/avg pooling forward and backward, global average pooling.
// Taps outside the input are skipped, so any geometry reads only inside the input plane.
#include "isa.h"

namespace hc {
namespace HC_ISA {
namespace {

struct PoolGeo {
  int64_t N, C, H, W, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, OH, OW;
};
constexpr int kPoolAttrs = 16;

bool readPool(Call& c, const char* op, PoolGeo& g, const Tensor& x, const Tensor& y) {
  int64_t* f[kPoolAttrs] = {&g.N, &g.C, &g.H, &g.W, &g.kh, &g.kw, &g.sh, &g.sw,
                            &g.dh, &g.dw, &g.pt, &g.pb, &g.pl, &g.pr, &g.OH, &g.OW};
  for (int i = 0; i < kPoolAttrs; i++) {
    const bool pad = i >= 10 && i < 14;
    if (!attrInt(c, op, i, pad ? 0 : 1, int64_t(1) << 30, f[i])) return false;
  }
  if (x.rank != 4 || x.shape[0] != g.N || x.shape[1] != g.C || x.shape[2] != g.H || x.shape[3] != g.W)
    return fail(c, "%s: x must have shape [%lld, %lld, %lld, %lld]", op, (long long)g.N, (long long)g.C, (long long)g.H, (long long)g.W);
  if (y.rank != 4 || y.shape[0] != g.N || y.shape[1] != g.C || y.shape[2] != g.OH || y.shape[3] != g.OW)
    return fail(c, "%s: output must have shape [%lld, %lld, %lld, %lld]", op, (long long)g.N, (long long)g.C, (long long)g.OH, (long long)g.OW);
  return true;
}

/** Taps t ∈ [*t0, *t1) of output position o that fall inside [0, in). */
inline void taps(int64_t o, int64_t in, int64_t k, int64_t s, int64_t pad, int64_t d, int64_t* t0, int64_t* t1) {
  const int64_t origin = o * s - pad;
  int64_t a = origin < 0 ? (-origin + d - 1) / d : 0;
  int64_t b = origin >= in ? 0 : (in - 1 - origin) / d + 1;
  if (b > k) b = k;
  *t0 = a;
  *t1 = b > a ? b : a;
}

/**
 * Average window along one axis, PyTorch's rule: taps [t0, t1) inside the input; with countIncludePad
 * the divisor counts taps inside the padded extent [−padBefore, in + padAfter).
 */
inline void avgAxisFwd(int64_t o, int64_t in, int64_t k, int64_t s, int64_t pb, int64_t pa, int64_t d, int64_t* t0,
                       int64_t* t1, int64_t* padded) {
  taps(o, in, k, s, pb, d, t0, t1);
  int64_t a, z;
  taps(o, in + pb + pa, k, s, 0, d, &a, &z);  // the same window on the padded axis
  (void)a;
  *padded = z;
}

/** Index (within the plane) of the window's maximum: first largest, NaN wins; −1 if no tap is inside. */
inline int64_t argmaxWindow(const float* p, const PoolGeo& g, int64_t oy, int64_t ox) {
  int64_t y0, y1, x0, x1;
  taps(oy, g.H, g.kh, g.sh, g.pt, g.dh, &y0, &y1);
  taps(ox, g.W, g.kw, g.sw, g.pl, g.dw, &x0, &x1);
  int64_t best = -1;
  float m = -INFINITY;
  for (int64_t ty = y0; ty < y1; ty++) {
    const int64_t iy = oy * g.sh - g.pt + ty * g.dh;
    for (int64_t tx = x0; tx < x1; tx++) {
      const int64_t idx = iy * g.W + ox * g.sw - g.pl + tx * g.dw;
      const float v = p[idx];
      if (best < 0 || v > m || (v != v && m == m)) best = idx, m = v;
    }
  }
  return best;
}

/** out[ox] ⊕= row[ox·sw + shift] for ox in [a, b) (max with a NaN flag, or sum); restrict lets it vectorize. */
template <bool IsMax>
inline void accumulateRun(const float* __restrict row, float* __restrict out, float* __restrict nanFlag, int64_t a,
                          int64_t b, int64_t sw, int64_t shift) {
  for (int64_t ox = a; ox < b; ox++) {
    const float v = row[ox * sw + shift];
    if (IsMax) {
      out[ox] = v > out[ox] ? v : out[ox];
      nanFlag[ox] = v != v ? 1.0f : nanFlag[ox];
    } else {
      out[ox] += v;
    }
  }
}

/**
 * Separable window reduction of every plane: first along each input row (per output column, the taps
 * inside the row), then down the columns (per output row, the rows inside the input), vectorizable
 * over output columns. Max propagates NaN; avg sums then scales by the divisor of each axis (both
 * PyTorch divisors are products of a row factor and a column factor).
 */
template <bool IsMax>
void separablePool(Call& c, const PoolGeo& g, bool include, const float* x, float* y) {
  int32_t* cols = reinterpret_cast<int32_t*>(scratch(c, 0, 5, 3 * g.OW));
  for (int64_t ox = 0; ox < g.OW; ox++) {
    int64_t t0, t1, padded;
    avgAxisFwd(ox, g.W, g.kw, g.sw, g.pl, g.pr, g.dw, &t0, &t1, &padded);
    cols[3 * ox] = (int32_t)t0;
    cols[3 * ox + 1] = (int32_t)t1;
    cols[3 * ox + 2] = (int32_t)(include ? padded : t1 - t0);
  }
  // interior output columns [oxA, oxB): the whole window lies inside the row
  const int64_t oxA = imin(g.OW, (g.pl + g.sw - 1) / g.sw);
  const int64_t lastStart = g.W - 1 - (g.kw - 1) * g.dw + g.pl;
  const int64_t oxB = lastStart < 0 ? oxA : imax(oxA, imin(g.OW, lastStart / g.sw + 1));
  par(c, g.N * g.C, 1, [&](int64_t b, int64_t e, int t) {
    float* tmp = scratch(c, t, 0, g.H * g.OW + 1);
    float* nanRow = scratch(c, t, 1, g.OW + 1);
    const int64_t H = g.H, W = g.W, OW = g.OW, OH = g.OH, kw = g.kw, sw = g.sw, dw = g.dw, pl = g.pl;
    for (int64_t p = b; p < e; p++) {
      const float* xp = x + p * H * W;
      float* yp = y + p * OH * OW;
      for (int64_t iy = 0; iy < H; iy++) {
        const float* row = xp + iy * W;
        float* out = tmp + iy * OW;
        for (int64_t ox = 0; ox < OW; ox++) out[ox] = IsMax ? -INFINITY : 0.0f, nanRow[ox] = 0.0f;
        // interior columns (every tap inside the row): tap by tap over a run of outputs
        for (int64_t tx = 0; tx < kw; tx++) accumulateRun<IsMax>(row, out, nanRow, oxA, oxB, sw, tx * dw - pl);
        // edge columns: only the taps inside the row
        for (int64_t ox = 0; ox < OW; ox++) {
          if (ox == oxA) ox = oxB;
          if (ox >= OW) break;
          const int64_t origin = ox * sw - pl;
          for (int64_t tx = cols[3 * ox]; tx < cols[3 * ox + 1]; tx++)
            accumulateRun<IsMax>(row, out, nanRow, ox, ox + 1, 0, origin + tx * dw);
        }
        if (IsMax)
          for (int64_t ox = 0; ox < OW; ox++) out[ox] = nanRow[ox] != 0.0f ? NAN : out[ox];
      }
      for (int64_t oy = 0; oy < OH; oy++) {
        int64_t t0, t1, padded;
        avgAxisFwd(oy, H, g.kh, g.sh, g.pt, g.pb, g.dh, &t0, &t1, &padded);
        float* out = yp + oy * OW;
        for (int64_t ox = 0; ox < OW; ox++) out[ox] = IsMax ? -INFINITY : 0.0f, nanRow[ox] = 0.0f;
        for (int64_t ty = t0; ty < t1; ty++)
          accumulateRun<IsMax>(tmp + (oy * g.sh - g.pt + ty * g.dh) * OW, out, nanRow, 0, OW, 1, 0);
        if (IsMax) {
          for (int64_t ox = 0; ox < OW; ox++) out[ox] = nanRow[ox] != 0.0f ? NAN : out[ox];
        } else {
          const int64_t rowCount = include ? padded : t1 - t0;
          for (int64_t ox = 0; ox < OW; ox++) {
            const int64_t count = rowCount * cols[3 * ox + 2];
            out[ox] = count > 0 ? out[ox] * (1.0f / (float)count) : 0.0f;
          }
        }
      }
    }
  });
}

bool maxPool2d(Call& c) {
  const char* op = "maxPool2d";
  if (!arity(c, op, 1, 1, 1, kPoolAttrs)) return false;
  PoolGeo g;
  if (!readPool(c, op, g, c.in[0], c.out[0])) return false;
  separablePool<true>(c, g, false, c.in[0].data, c.out[0].data);
  return true;
}

bool maxPool2dBackward(Call& c) {
  const char* op = "maxPool2dBackward";
  if (!arity(c, op, 2, 2, 1, kPoolAttrs)) return false;
  PoolGeo g;
  if (!readPool(c, op, g, c.in[1], c.in[0])) return false;
  if (!sameShape(c.in[1], c.out[0])) return fail(c, "%s: dx must have x's shape", op);
  const float* dy = c.in[0].data;
  const float* x = c.in[1].data;
  float* dx = c.out[0].data;
  par(c, g.N * g.C, 4, [&](int64_t b, int64_t e, int) {
    for (int64_t pl = b; pl < e; pl++) {
      const float* p = x + pl * g.H * g.W;
      float* d = dx + pl * g.H * g.W;
      memset(d, 0, sizeof(float) * g.H * g.W);
      const float* dyp = dy + pl * g.OH * g.OW;
      for (int64_t oy = 0; oy < g.OH; oy++)
        for (int64_t ox = 0; ox < g.OW; ox++) {
          const int64_t i = argmaxWindow(p, g, oy, ox);
          if (i >= 0) d[i] += dyp[oy * g.OW + ox];
        }
    }
  });
  return true;
}

bool avgCommon(Call& c, const char* op, bool backward) {
  if (!arity(c, op, 1, 1, 1, kPoolAttrs + 1)) return false;
  PoolGeo g;
  const Tensor& x = backward ? c.out[0] : c.in[0];
  const Tensor& y = backward ? c.in[0] : c.out[0];
  if (!readPool(c, op, g, x, y)) return false;
  int64_t include = 0;
  if (!attrInt(c, op, kPoolAttrs, 0, 1, &include)) return false;
  const float* src = c.in[0].data;
  float* dst = c.out[0].data;
  if (!backward) {
    separablePool<false>(c, g, include == 1, src, dst);
    return true;
  }
  par(c, g.N * g.C, 4, [&](int64_t b, int64_t e, int) {
    for (int64_t pl = b; pl < e; pl++) {
      const float* xp = backward ? nullptr : src + pl * g.H * g.W;
      float* dxp = backward ? dst + pl * g.H * g.W : nullptr;
      if (backward) memset(dxp, 0, sizeof(float) * g.H * g.W);
      for (int64_t oy = 0; oy < g.OH; oy++) {
        int64_t y0, y1, yp;
        avgAxisFwd(oy, g.H, g.kh, g.sh, g.pt, g.pb, g.dh, &y0, &y1, &yp);
        for (int64_t ox = 0; ox < g.OW; ox++) {
          int64_t x0, x1, xq;
          avgAxisFwd(ox, g.W, g.kw, g.sw, g.pl, g.pr, g.dw, &x0, &x1, &xq);
          const int64_t count = include ? yp * xq : (y1 - y0) * (x1 - x0);
          const float inv = count > 0 ? 1.0f / (float)count : 0.0f;
          const int64_t oi = pl * g.OH * g.OW + oy * g.OW + ox;
          if (backward) {
            const float v = src[oi] * inv;
            for (int64_t ty = y0; ty < y1; ty++) {
              float* row = dxp + (oy * g.sh - g.pt + ty * g.dh) * g.W + ox * g.sw - g.pl;
              for (int64_t tx = x0; tx < x1; tx++) row[tx * g.dw] += v;
            }
          } else {
            float s = 0.0f;
            for (int64_t ty = y0; ty < y1; ty++) {
              const float* row = xp + (oy * g.sh - g.pt + ty * g.dh) * g.W + ox * g.sw - g.pl;
              for (int64_t tx = x0; tx < x1; tx++) s += row[tx * g.dw];
            }
            dst[oi] = s * inv;
          }
        }
      }
    }
  });
  return true;
}

bool avgPool2d(Call& c) { return avgCommon(c, "avgPool2d", false); }
bool avgPool2dBackward(Call& c) { return avgCommon(c, "avgPool2dBackward", true); }

#if defined(__AVX512F__)
/**
 * The 16 partial vectors of 16 rows reduced together by a transpose-and-add tree (one horizontal
 * reduction per row cost more than reading it); lane r of the result is row r's mean, given the rows
 * in the order {0-3, 8-11, 4-7, 12-15} that `kRowOrder` says.
 */
constexpr int kRowOrder[16] = {0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15};
inline __m512 meansOfPartials(const __m512* v, int64_t S) {
  __m512 h[8], q[4];
  for (int i = 0; i < 8; i++)  // blocks: 8 partials of v[i] | 8 of v[i + 8]
    h[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[i], v[i + 8], 0x44), _mm512_shuffle_f32x4(v[i], v[i + 8], 0xEE));
  for (int i = 0; i < 4; i++)  // blocks: 4 partials of v[i], v[i + 8], v[i + 4], v[i + 12]
    q[i] = _mm512_add_ps(_mm512_shuffle_f32x4(h[i], h[i + 4], 0x88), _mm512_shuffle_f32x4(h[i], h[i + 4], 0xDD));
  const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(q[0], q[1]), _mm512_unpackhi_ps(q[0], q[1]));
  const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(q[2], q[3]), _mm512_unpackhi_ps(q[2], q[3]));
  const __m512 sums = _mm512_add_ps(_mm512_shuffle_ps(s01, s23, 0x44), _mm512_shuffle_ps(s01, s23, 0xEE));
  return _mm512_div_ps(sums, _mm512_set1_ps((float)S));
}

/**
 * Means of 16 consecutive rows of length S ≤ 16·NV (7×7 maps: NV = 4), each row's vectors added as a
 * tree in straight-line code: the loop over rows with an inner loop over a row ran 4 dependent adds
 * per row one row after another (8×512×7²: 15.5 µs, here 10.2).
 */
template <int NV>
__m512 shortRowMeans16(const float* x, int64_t S) {
  const __mmask16 tail = (__mmask16)(0xFFFFu >> (16 * NV - S));
  __m512 v[16];
#pragma GCC unroll 16
  for (int k = 0; k < 16; k++) {
    const float* row = x + kRowOrder[k] * S;
    __m512 a = _mm512_maskz_loadu_ps(tail, row + (NV - 1) * 16);
    if (NV >= 2) a = _mm512_add_ps(a, _mm512_loadu_ps(row));
    if (NV >= 3) {
      __m512 b = _mm512_loadu_ps(row + 16);
      if (NV >= 4) b = _mm512_add_ps(b, _mm512_loadu_ps(row + 32));
      a = _mm512_add_ps(a, b);
    }
    v[k] = a;
  }
  return meansOfPartials(v, S);
}

/** Means of 16 consecutive rows of any length up to 256. */
inline __m512 rowMeans16(const float* x, int64_t S) {
  __m512 v[16];
  for (int k = 0; k < 16; k++) {
    const float* row = x + kRowOrder[k] * S;
    V p = V::zero(), q = V::zero();
    int64_t i = 0;
    for (; i + 32 <= S; i += 32) {
      p = V::add(p, V::load(row + i));
      q = V::add(q, V::load(row + i + 16));
    }
    if (i + 16 <= S) {
      p = V::add(p, V::load(row + i));
      i += 16;
    }
    if (i < S) q = V::add(q, V::loadFirst(row + i, S - i));
    v[k] = V::add(p, q).v;
  }
  return meansOfPartials(v, S);
}

using RowMeans16 = __m512 (*)(const float*, int64_t);
inline RowMeans16 rowMeans16For(int64_t S) {
  switch ((S + 15) / 16) {
    case 1: return shortRowMeans16<1>;
    case 2: return shortRowMeans16<2>;
    case 3: return shortRowMeans16<3>;
    case 4: return shortRowMeans16<4>;
    default: return rowMeans16;
  }
}
#endif

bool globalAvgPool(Call& c) {
  const char* op = "globalAvgPool";
  if (!arity(c, op, 1, 1, 1, 0)) return false;
  int64_t N, C, S;
  if (!ncs(c, op, c.in[0], &N, &C, &S)) return false;
  if (!sizeIs(c, op, "y", c.out[0], N * C)) return false;
  const float* x = c.in[0].data;
  float* y = c.out[0].data;
  // chunks of at least 256 Ki inputs: waking a second thread costs more than reading less (8×512×7²
  // took 16 µs on one thread, a median 24–79 µs split over two)
  constexpr int64_t kMinChunk = 256 * 1024;
#if defined(__AVX512F__)
  if (S <= 256) {
    const int64_t blocks = N * C / 16;
    const RowMeans16 means = rowMeans16For(S);
    par(c, blocks, std::max<int64_t>(1, kMinChunk / (16 * S)), [&](int64_t b, int64_t e, int) {
      for (int64_t k = b; k < e; k++) _mm512_storeu_ps(y + k * 16, means(x + k * 16 * S, S));
    });
    for (int64_t p = blocks * 16; p < N * C; p++) y[p] = (float)(sumOf(x + p * S, S) / (double)S);
    return true;
  }
#endif
  // Chunks of 64 floats per lane (4096 on AVX-512), not sumOf's 1024: a 56×56 row is then one chunk
  // and one horizontal reduction, not four (8×64×56² through hc at 1 thread: p50 76 µs, 78 before).
  par(c, N * C, std::max<int64_t>(1, kMinChunk / S), [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++) y[p] = (float)(sumOf<256 * V::L>(x + p * S, S) / (double)S);
  });
  return true;
}

}  // namespace

extern const KernelEntry kPoolKernels[] = {
    {"maxPool2d", maxPool2d},
    {"maxPool2dBackward", maxPool2dBackward},
    {"avgPool2d", avgPool2d},
    {"avgPool2dBackward", avgPool2dBackward},
    {"globalAvgPool", globalAvgPool},
    {nullptr, nullptr},
};

}  // namespace HC_ISA
}  // namespace hc
