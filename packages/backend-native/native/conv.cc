// Convolution family: conv2d (+ fused bias/ReLU), both backward passes, reverseSpatial.
//
// Stride 1 (forward, and the input gradient, which is a stride-1 correlation of dy with the
// transposed, flipped weights) runs "flat direct": the input is copied once into a zero-padded buffer
// and output pixels are indexed q = oy·Wp + ox over the padded width, so tap (c, ky, kx) of a run of
// consecutive outputs is a contiguous run of the padded input at a fixed offset; columns ox ≥ OW are
// computed and discarded. Weights are packed once per weight handle (cached). Other strides pack
// im2col panels (forward) or scatter GEMM columns (input gradient). The filter gradient is dot
// products over the flat pixel index (stride 1) or over im2col rows (other strides).
#include "gemm.h"

namespace hc {
namespace HC_ISA {
namespace {

struct ConvGeo {
  int64_t N, C, H, W, O, G, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, OH, OW;
  int64_t cg, og, K, P;
};

constexpr int kConvAttrs = 18;
constexpr int64_t kDimMax = int64_t(1) << 30;

bool readGeo(Call& c, const char* op, ConvGeo& g) {
  int64_t* f[kConvAttrs] = {&g.N, &g.C, &g.H, &g.W, &g.O, &g.G, &g.kh, &g.kw, &g.sh,
                            &g.sw, &g.dh, &g.dw, &g.pt, &g.pb, &g.pl, &g.pr, &g.OH, &g.OW};
  for (int i = 0; i < kConvAttrs; i++) {
    const bool pad = i >= 12 && i < 16;
    if (!attrInt(c, op, i, pad ? 0 : 1, kDimMax, f[i])) return false;
  }
  if (g.C % g.G || g.O % g.G) return fail(c, "%s: groups %lld must divide channels %lld and %lld", op, (long long)g.G, (long long)g.C, (long long)g.O);
  g.cg = g.C / g.G;
  g.og = g.O / g.G;
  g.K = g.cg * g.kh * g.kw;
  g.P = g.OH * g.OW;
  const int64_t spanH = g.H + g.pt + g.pb - g.dh * (g.kh - 1) - 1, spanW = g.W + g.pl + g.pr - g.dw * (g.kw - 1) - 1;
  if (spanH < 0 || spanW < 0 || spanH / g.sh + 1 != g.OH || spanW / g.sw + 1 != g.OW)
    return fail(c, "%s: output size %lldx%lld does not follow from the geometry", op, (long long)g.OH, (long long)g.OW);
  if (g.K > (int64_t(1) << 28)) return fail(c, "%s: reduction size %lld too large", op, (long long)g.K);
  return true;
}

bool shapeIs(Call& c, const char* op, const char* what, const Tensor& t, int64_t a, int64_t b, int64_t d, int64_t e) {
  if (t.rank != 4 || t.shape[0] != a || t.shape[1] != b || t.shape[2] != d || t.shape[3] != e)
    return fail(c, "%s: %s must have shape [%lld, %lld, %lld, %lld]", op, what, (long long)a, (long long)b, (long long)d, (long long)e);
  return true;
}

/** One H×W plane into an Hp×Wp one, `pt` rows and `pl` columns of zeros before it and zeros after. */
inline void padPlane(const float* src, float* d, int64_t H, int64_t W, int64_t pt, int64_t pl, int64_t Hp, int64_t Wp) {
  const int64_t a = imax(0, pl), z = imin(Wp, pl + W);
  for (int64_t iy = 0; iy < Hp; iy++) {
    float* row = d + iy * Wp;
    const int64_t sy = iy - pt;
    if (sy < 0 || sy >= H || a >= z) {
      memset(row, 0, sizeof(float) * Wp);
      continue;
    }
    if (a > 0) memset(row, 0, sizeof(float) * a);
    memcpy(row + a, src + sy * W + (a - pl), sizeof(float) * (z - a));
    if (z < Wp) memset(row + z, 0, sizeof(float) * (Wp - z));
  }
}

/** Copies planes [planes][H][W] into [planes][Hp][Wp] with (possibly negative) padding pt, pl; zero tail. */
void padPlanes(Call& c, const float* x, int64_t planes, int64_t H, int64_t W, int64_t pt, int64_t pl, int64_t Hp,
               int64_t Wp, float* dst, int64_t tail) {
  const int64_t plane = Hp * Wp;
  par(c, planes, 4, [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++) padPlane(x + p * H * W, dst + p * plane, H, W, pt, pl, Hp, Wp);
  });
  memset(dst + planes * plane, 0, sizeof(float) * tail);
}

/**
 * row[j] = s[2j] for j in [lo, hi), reading s only below `readable` (stride-2 phase planes: conv B's
 * 7×7/2 stem spent ~9 % of its time in the scalar gather).
 */
inline void deinterleave2(const float* s, float* row, int64_t lo, int64_t hi, int64_t readable) {
  int64_t j = lo;
#if defined(__AVX512F__)
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  for (; j + 16 <= hi && 2 * j + 32 <= readable; j += 16)
    _mm512_storeu_ps(row + j, _mm512_permutex2var_ps(_mm512_loadu_ps(s + 2 * j), even, _mm512_loadu_ps(s + 2 * j + 16)));
#endif
  for (; j < hi; j++) row[j] = s[2 * j];
}

/**
 * Splits each zero-padded plane (pads pt, pl; padded size Hp × Wp) into sh·sw phase planes of Hs × Ws:
 * dst[plane][py][px][i][j] = xpad[py + sh·i][px + sw·j] (zero outside). With stride 1 this is the padded copy.
 */
void phasePlanes(Call& c, const float* x, int64_t planes, int64_t H, int64_t W, int64_t pt, int64_t pl, int64_t sh,
                 int64_t sw, int64_t Hs, int64_t Ws, float* dst, int64_t tail) {
  const int64_t cplane = sh * sw * Hs * Ws;
  par(c, planes, 2, [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++) {
      const float* src = x + p * H * W;
      for (int64_t py = 0; py < sh; py++)
        for (int64_t px = 0; px < sw; px++) {
          float* d = dst + p * cplane + (py * sw + px) * Hs * Ws;
          const int64_t c0 = px - pl;  // source column of j = 0
          // valid j: 0 <= c0 + sw·j < W
          const int64_t lo = c0 >= 0 ? 0 : imin(Ws, (-c0 + sw - 1) / sw);
          const int64_t hi = c0 >= W ? 0 : imin(Ws, (W - 1 - c0) / sw + 1);
          for (int64_t i = 0; i < Hs; i++) {
            float* row = d + i * Ws;
            const int64_t sy = py + sh * i - pt;
            if (sy < 0 || sy >= H || hi <= lo) {
              memset(row, 0, sizeof(float) * Ws);
              continue;
            }
            const float* s = src + sy * W + c0;
            for (int64_t j = 0; j < lo; j++) row[j] = 0.0f;
            if (sw == 1)
              memcpy(row + lo, s + lo, sizeof(float) * (hi - lo));
            else if (sw == 2)
              deinterleave2(s, row, lo, hi, W - c0);
            else
              for (int64_t j = lo; j < hi; j++) row[j] = s[j * sw];
            for (int64_t j = hi; j < Ws; j++) row[j] = 0.0f;
          }
        }
    }
  });
  memset(dst + planes * cplane, 0, sizeof(float) * tail);
}

#if defined(__AVX512F__) || defined(__AVX2__)
// ---- output channels in the vector lanes (stride 1; AVX-512 direct convolution, Winograd's products) ----
// The flat tile computes whole padded rows: a 14-wide layer with 1+1 padding (conv C) throws away 2
// columns in 16, and 16-lane vectors cannot cover 196 pixels in fewer than 208 lanes anyway. Here a
// tile is P output pixels (any pixels: each is a broadcast of its own input element) × a block of
// output channels in vectors, so no lane is wasted; weights are packed [k][block] per block of channels.
// Two tile shapes per instruction set: AVX-512 (32 registers) 6 pixels × 64 channels where the channels
// come in 64s (conv C's 256: no short block), else 8 × 48 (the last block 16 or 32 wide); AVX2 (16
// registers) 6 × 16, else 4 × 24.
struct OcShape {
  int pixels, block;  // pixels per tile, channels per full block (a multiple of V::L)
};
#if defined(__AVX512F__)
inline OcShape ocShape(int64_t og) { return og % 64 == 0 ? OcShape{6, 64} : OcShape{8, 48}; }
constexpr int kOcWideP = 6, kOcWideNV = 4, kOcNarrowP = 8, kOcNarrowNV = 3;
#else
inline OcShape ocShape(int64_t og) { return og % 16 == 0 ? OcShape{6, 16} : OcShape{4, 24}; }
constexpr int kOcWideP = 6, kOcWideNV = 2, kOcNarrowP = 4, kOcNarrowNV = 3;
#endif
constexpr int kOcMaxP = 8;

/** out[p][v·L + j] = Σ_k x(base + koff[k] + poff[p]) · W[k][v·L + j], W with NV·L floats per k; rows of out `ld` apart. */
template <int P, int NV>
inline void microOC(int64_t K, const float* __restrict Wk, const float* __restrict base, const int32_t* __restrict koff,
                    const int32_t* poff, float* __restrict out, int64_t ld, bool accumulate) {
  V acc[P][NV];
#pragma GCC unroll 8
  for (int p = 0; p < P; p++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[p][v] = accumulate ? V::load(out + p * ld + v * V::L) : V::zero();
  int32_t po[P];
  for (int p = 0; p < P; p++) po[p] = poff[p];
  for (int64_t k = 0; k < K; k++) {
    const float* xk = base + koff[k];
    V wv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) wv[v] = V::load(Wk + k * NV * V::L + v * V::L);
#pragma GCC unroll 8
    for (int p = 0; p < P; p++) {
      const V a = V::set1(xk[po[p]]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[p][v] = V::fma(a, wv[v], acc[p][v]);
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < P; p++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[p][v].store(out + p * ld + v * V::L);
}

/**
 * Items of (image and group, block of channels, group of pixel tiles); the reduction runs in slices of
 * kOcKC so a slice of the block's weights (kOcKC × 64 floats, 32 KiB) stays in L1 across the tiles.
 */
constexpr int64_t kOcKC = 128, kOcTilesPerItem = 13;

#if defined(__AVX512F__)
/** Whether the output-channel tile wastes fewer lanes than the flat one (stride 1, og a multiple of 16). */
bool ocPays(int64_t og, int64_t OH, int64_t OW, int64_t Ws) {
  if (og % 16 != 0 || og < 32 || OH * OW < kOcMaxP) return false;
  const int64_t flatLanes = (OH * Ws + 15) / 16 * 16;  // at least this many lanes per 16 output channels
  return flatLanes * 10 > OH * OW * 11;                 // over 10 % wasted
}

/** Weights per group, blocks of ocShape(og).block output channels (the last may be narrower): [block][k][width]. */
void packOc(int64_t og, int64_t K, const float* w, int64_t gi, float* dst) {
  const int64_t blockWidth = ocShape(og).block;
  for (int64_t o0 = 0; o0 < og; o0 += blockWidth) {
    const int64_t width = imin(blockWidth, og - o0);
    float* d = dst + o0 * K;
    for (int64_t k = 0; k < K; k++)
      for (int64_t j = 0; j < width; j++) d[k * width + j] = w[((gi * og) + o0 + j) * K + k];
  }
}


template <int P, int FullNV>
void ocConvShaped(Call& c, int64_t N, int64_t C, int64_t G, int64_t og, int64_t K, int64_t OH, int64_t OW, int64_t Ws,
                  int64_t plane, const float* xp, const int32_t* koff, const float* Aoc, const float* bias, bool relu, float* y) {
  constexpr int64_t kBlock = FullNV * V::L;
  const int64_t cg = C / G, O = og * G, Pix = OH * OW, pTiles = (Pix + P - 1) / P;
  const int64_t oBlocks = (og + kBlock - 1) / kBlock, pGroups = (pTiles + kOcTilesPerItem - 1) / kOcTilesPerItem;
  par(c, N * G * oBlocks * pGroups, 1, [&](int64_t b, int64_t e, int t) {
    float* acc = scratch(c, t, 1, kOcTilesPerItem * P * kBlock);
    int32_t poff[kOcTilesPerItem][P];
    for (int64_t it = b; it < e; it++) {
      const int64_t pg = it % pGroups, ob = (it / pGroups) % oBlocks, ng = it / (pGroups * oBlocks);
      const int64_t n = ng / G, g = ng % G, o0 = ob * kBlock, width = imin(kBlock, og - o0);
      const int64_t t0 = pg * kOcTilesPerItem, tiles = imin(kOcTilesPerItem, pTiles - t0);
      for (int64_t ti = 0; ti < tiles; ti++) {
        const int64_t p0 = (t0 + ti) * P, np = imin(P, Pix - p0);
        for (int p = 0; p < P; p++) {
          const int64_t q = p0 + imin(p, np - 1);  // a short last tile repeats its last pixel
          poff[ti][p] = (int32_t)((q / OW) * Ws + q % OW);
        }
      }
      const float* base = xp + (n * C + g * cg) * plane;
      const float* Wblock = Aoc + g * og * K + o0 * K;
      for (int64_t k0 = 0; k0 < K; k0 += kOcKC) {
        const int64_t kc = imin(kOcKC, K - k0);
        const float* Wk = Wblock + k0 * width;
        for (int64_t ti = 0; ti < tiles; ti++) {
          float* out = acc + ti * P * kBlock;
          switch (width / V::L) {
            case 1: microOC<P, 1>(kc, Wk, base, koff + k0, poff[ti], out, kBlock, k0 > 0); break;
            case 2: microOC<P, 2>(kc, Wk, base, koff + k0, poff[ti], out, kBlock, k0 > 0); break;
            default: microOC<P, FullNV>(kc, Wk, base, koff + k0, poff[ti], out, kBlock, k0 > 0); break;
          }
        }
      }
      for (int64_t ti = 0; ti < tiles; ti++) {
        const int64_t p0 = (t0 + ti) * P, np = imin(P, Pix - p0);
        const float* tile = acc + ti * P * kBlock;
        for (int64_t j = 0; j < width; j++) {
          const int64_t o = g * og + o0 + j;
          const float bv = bias ? bias[o] : 0.0f;
          float* yo = y + (n * O + o) * Pix + p0;
          for (int64_t p = 0; p < np; p++) {
            const float v = tile[p * kBlock + j] + bv;
            yo[p] = relu ? (v > 0.0f ? v : 0.0f) : v;
          }
        }
      }
    }
  });
}

void ocConv(Call& c, int64_t N, int64_t C, int64_t G, int64_t og, int64_t K, int64_t OH, int64_t OW, int64_t Ws,
            int64_t plane, const float* xp, const int32_t* koff, const float* Aoc, const float* bias, bool relu, float* y) {
  if (ocShape(og).pixels == kOcWideP)
    ocConvShaped<kOcWideP, kOcWideNV>(c, N, C, G, og, K, OH, OW, Ws, plane, xp, koff, Aoc, bias, relu, y);
  else
    ocConvShaped<kOcNarrowP, kOcNarrowNV>(c, N, C, G, og, K, OH, OW, Ws, plane, xp, koff, Aoc, bias, relu, y);
}
#endif

// ---- Winograd F(2×2, 3×3) (AVX-512 and AVX2; 3×3 stride 1 dilation 1, wide layers) ----
// Each 2×2 block of outputs ("tile") comes from a 4×4 input patch d: Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so a
// 3×3 layer becomes 16 products U_ξ·V_ξ of (channels × channels) by (channels × tiles), 2.25× fewer
// multiply-adds than the direct sum. Its transforms only add, subtract and halve: the rounding stays
// that of a direct sum of a few more terms. The products run on the output-channel tile (microOC).
// Transformed values mix neighbours, so a non-finite input (Inf − Inf) or one large enough to overflow
// there would give NaN where the direct sum gives ±Inf: such calls take the direct path instead.
bool winogradPays(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t cg, int64_t og, int64_t OH, int64_t OW) {
  return kh == 3 && kw == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && cg >= 32 && og >= 32 && og % 16 == 0 && OH >= 4 && OW >= 4;
}

/**
 * Largest magnitude in x[0, n), or +Inf if any value is NaN or infinite (a bound on what the
 * transforms may see: every |output| of the layer stays under 81·cg·max|x|·max|w|).
 */
float maxMagnitude(const float* x, int64_t n) {
  V m = V::zero(), poison = V::zero();  // poison: Σ (a − a), NaN once any a is NaN or ±Inf
  int64_t i = 0;
  for (; i + V::L <= n; i += V::L) {
    const V a = V::abs(V::load(x + i));
    m = V::max(m, a);
    poison = V::add(poison, V::sub(a, a));
  }
  float best = m.maxLane();
  for (; i < n; i++) {
    const float a = std::fabs(x[i]);
    if (!(a <= 3.4028235e38f)) return INFINITY;
    best = a > best ? a : best;
  }
  return std::isnan(poison.sum()) ? INFINITY : best;
}

/** Whether 81·cg·xMax·wMax stays far from float overflow (the transforms cannot make an Inf). */
inline bool winogradSafe(int64_t cg, float xMax, float wMax) { return 81.0 * (double)cg * (double)xMax * (double)wMax < 1e37; }

/**
 * U_ξ = G g Gᵀ per (o, c), packed per group and ξ as packOc packs a (cg × og) matrix: [ξ][block][c][width];
 * U[G·16·cg·og] holds max|w| (see winogradSafe). The 3×3 kernel g of (o, c) is w[((g·og + o)·cg + c)·9 + ·],
 * or, for the input gradient (`transposed`), that of (c, o) flipped: w[((g·cg + c)·og + o)·9 + 8 − ·].
 */
void packWinogradWeights(int64_t G, int64_t og, int64_t cg, const float* w, bool transposed, float* U) {
  U[G * 16 * cg * og] = maxMagnitude(w, G * og * cg * 9);
  const int64_t blockWidth = ocShape(og).block;
  for (int64_t gi = 0; gi < G; gi++)
    for (int64_t o = 0; o < og; o++)
      for (int64_t ch = 0; ch < cg; ch++) {
        float k[9];
        for (int i = 0; i < 9; i++) k[i] = transposed ? w[((gi * cg + ch) * og + o) * 9 + 8 - i] : w[((gi * og + o) * cg + ch) * 9 + i];
        float t[4][3], u[4][4];
        for (int col = 0; col < 3; col++) {
          const float a = k[col], b = k[3 + col], d = k[6 + col];
          t[0][col] = a, t[1][col] = 0.5f * (a + b + d), t[2][col] = 0.5f * (a - b + d), t[3][col] = d;
        }
        for (int row = 0; row < 4; row++) {
          const float a = t[row][0], b = t[row][1], d = t[row][2];
          u[row][0] = a, u[row][1] = 0.5f * (a + b + d), u[row][2] = 0.5f * (a - b + d), u[row][3] = d;
        }
        const int64_t o0 = o / blockWidth * blockWidth, width = imin(blockWidth, og - o0);
        for (int xi = 0; xi < 16; xi++)
          U[(gi * 16 + xi) * cg * og + o0 * cg + ch * width + (o - o0)] = u[xi / 4][xi % 4];
      }
}

/**
 * V_ξ of the tiles tx ∈ [tx0, tx1) of tile row ty of one channel, L tiles at a time, stored from dst
 * with ξ xiStride apart: the patch columns 2tx…2tx+3 are even[tx], odd[tx], even[tx+1], odd[tx+1] of
 * the channel's phase planes (rows Ws apart).
 */
inline void winogradInputRow(const float* even, const float* odd, int64_t Ws, int64_t ty, int64_t tx0, int64_t tx1, float* dst,
                             int64_t xiStride) {
  for (int64_t tx = tx0; tx < tx1; tx += V::L) {
    const int64_t lanes = imin(V::L, tx1 - tx);
    V d[4][4];
    for (int r = 0; r < 4; r++) {
      const int64_t row = (2 * ty + r) * Ws + tx;
      d[r][0] = V::load(even + row), d[r][1] = V::load(odd + row);
      d[r][2] = V::load(even + row + 1), d[r][3] = V::load(odd + row + 1);
    }
    V u[4][4];
    for (int col = 0; col < 4; col++) {
      u[0][col] = V::sub(d[0][col], d[2][col]);
      u[1][col] = V::add(d[1][col], d[2][col]);
      u[2][col] = V::sub(d[2][col], d[1][col]);
      u[3][col] = V::sub(d[1][col], d[3][col]);
    }
    float* out = dst + (tx - tx0);
    for (int row = 0; row < 4; row++) {
      const V v[4] = {V::sub(u[row][0], u[row][2]), V::add(u[row][1], u[row][2]), V::sub(u[row][2], u[row][1]),
                      V::sub(u[row][1], u[row][3])};
      for (int col = 0; col < 4; col++) v[col].storeFirst(out + (row * 4 + col) * xiStride, lanes);
    }
  }
}

/**
 * M_ξ[t][o0 + j] = Σ_c V_ξ[c][t] · U_ξ[c][o0 + j] for tiles t ∈ [t0, t1) on the output-channel tile
 * (tiles past tLimit repeat the last one); V's channel c at koff[c], M's rows og apart from M.
 */
inline void winogradProducts(const OcShape& shape, int64_t cg, int64_t width, const float* Uxi, const float* Vxi, const int32_t* koff,
                             int64_t t0, int64_t t1, int64_t tLimit, float* M, int64_t og) {
  int32_t poff[kOcMaxP];
  for (int64_t k0 = 0; k0 < cg; k0 += kOcKC) {
    const int64_t kc = imin(kOcKC, cg - k0);
    for (int64_t tt = t0; tt < t1; tt += shape.pixels) {
      for (int p = 0; p < shape.pixels; p++) poff[p] = (int32_t)imin(tt + p, tLimit - 1);
      float* out = M + tt * og;
      const float* Wk = Uxi + k0 * width;
      if (shape.pixels == kOcWideP)
        microOC<kOcWideP, kOcWideNV>(kc, Wk, Vxi, koff + k0, poff, out, og, k0 > 0);
      else
        switch (width / V::L) {
          case 1: microOC<kOcNarrowP, 1>(kc, Wk, Vxi, koff + k0, poff, out, og, k0 > 0); break;
          case 2: microOC<kOcNarrowP, 2>(kc, Wk, Vxi, koff + k0, poff, out, og, k0 > 0); break;
          default: microOC<kOcNarrowP, kOcNarrowNV>(kc, Wk, Vxi, koff + k0, poff, out, og, k0 > 0); break;
        }
    }
  }
}

/** Where a Winograd layer writes its outputs: y [N][O][OH][OW], channels gi·og … of bias, relu. */
struct WinogradOut {
  float* y;
  const float* bias;
  bool relu;
  int64_t O, OH, OW, og, gi;
};

/** Y = Aᵀ M A for tile (n, ty, tx), L output channels at a time; m: the tile's row of M_0, M_ξ xiStride apart. */
inline void winogradOutputTile(const WinogradOut& o, const float* m, int64_t xiStride, int64_t n, int64_t ty, int64_t tx) {
  alignas(64) float res[4][V::L];
  const bool fullRow = 2 * tx + 1 < o.OW, fullCol = 2 * ty + 1 < o.OH;
  for (int64_t o0 = 0; o0 < o.og; o0 += V::L) {
    V mv[16];
    for (int xi = 0; xi < 16; xi++) mv[xi] = V::load(m + xi * xiStride + o0);
    V r[2][4];
    for (int col = 0; col < 4; col++) {
      r[0][col] = V::add(V::add(mv[col], mv[4 + col]), mv[8 + col]);
      r[1][col] = V::sub(V::sub(mv[4 + col], mv[8 + col]), mv[12 + col]);
    }
    const V bv = o.bias ? V::load(o.bias + o.gi * o.og + o0) : V::zero();
    for (int row = 0; row < 2; row++) {
      V a = V::add(V::add(V::add(r[row][0], r[row][1]), r[row][2]), bv);
      V d = V::add(V::sub(V::sub(r[row][1], r[row][2]), r[row][3]), bv);
      if (o.relu) a = V::max(a, V::zero()), d = V::max(d, V::zero());
      a.store(res[row * 2]);
      d.store(res[row * 2 + 1]);
    }
    for (int j = 0; j < V::L; j++) {
      float* yo = o.y + ((n * o.O + o.gi * o.og + o0 + j) * o.OH + 2 * ty) * o.OW + 2 * tx;
      yo[0] = res[0][j];
      if (fullRow) yo[1] = res[1][j];
      if (fullCol) {
        yo[o.OW] = res[2][j];
        if (fullRow) yo[o.OW + 1] = res[3][j];
      }
    }
  }
}

/**
 * Tiles per work unit where a unit runs all three stages itself: its transformed inputs and products
 * (16·cg·36 and 16·42·og floats, 147 KiB each at 64 channels) stay in its core's L2 between them.
 */
constexpr int64_t kWinogradUnitTiles = 36;

/** False (nothing written) when x is too large or not finite for the transforms: the caller runs the direct path. */
bool winogradConv(Call& c, int64_t N, int64_t C, int64_t H, int64_t W, int64_t G, int64_t pt, int64_t pl, int64_t O, int64_t OH,
                  int64_t OW, const float* x, const float* U, const float* bias, bool relu, float* y) {
  const int64_t cg = C / G, og = O / G, TH = (OH + 1) / 2, TW = (OW + 1) / 2, T = N * TH * TW;
  // zero-padded input split into even and odd columns (Hp × Ws each), with slack for the last row's vectors
  const int64_t Hp = 2 * TH + 2, Ws = TW + 1, plane = 2 * Hp * Ws, slack = 32;
  if (!winogradSafe(cg, maxMagnitude(x, N * C * H * W), U[G * 16 * cg * og])) return false;
  const OcShape shape = ocShape(og);
  const int64_t blockWidth = shape.block, oBlocks = (og + blockWidth - 1) / blockWidth;
  float* padded = scratch(c, 0, 6, N * C * plane + slack);
  phasePlanes(c, x, N * C, H, W, pt, pl, 1, 2, Hp, Ws, padded, slack);
  // Narrow layers (all 16 U_ξ within 512 KiB) in units of tiles that run the three stages on one
  // core: with a pass per stage, each stage read what the other core had written, and conv A's
  // products ran 1.2× faster on two threads than on one.
  if (16 * cg * og <= 128 * 1024 && T >= 2 * kWinogradUnitTiles) {
    constexpr int64_t TB = kWinogradUnitTiles;
    const int64_t TBp = TB + shape.pixels, units = (T + TB - 1) / TB;
    int32_t* koff = reinterpret_cast<int32_t*>(scratch(c, 0, 9, cg));
    for (int64_t ch = 0; ch < cg; ch++) koff[ch] = (int32_t)(ch * TB);
    for (int64_t gi = 0; gi < G; gi++) {
      const float* Ug = U + gi * 16 * cg * og;
      const WinogradOut out{y, bias, relu, O, OH, OW, og, gi};
      par(c, units, 1, [&](int64_t b, int64_t e, int thread) {
        float* Vb = scratch(c, thread, 12, 16 * cg * TB);
        float* Mb = scratch(c, thread, 13, 16 * TBp * og);
        for (int64_t unit = b; unit < e; unit++) {
          const int64_t t0 = unit * TB, t1 = imin(T, t0 + TB);
          for (int64_t ch = 0; ch < cg; ch++)
            for (int64_t t = t0; t < t1;) {  // one run of a tile row at a time
              const int64_t n = t / (TH * TW), ty = (t / TW) % TH, tx = t % TW, run = imin(t1 - t, TW - tx);
              const float* even = padded + (n * C + gi * cg + ch) * plane;
              winogradInputRow(even, even + Hp * Ws, Ws, ty, tx, tx + run, Vb + ch * TB + (t - t0), cg * TB);
              t += run;
            }
          for (int xi = 0; xi < 16; xi++)
            for (int64_t ob = 0; ob < oBlocks; ob++) {
              const int64_t o0 = ob * blockWidth;
              winogradProducts(shape, cg, imin(blockWidth, og - o0), Ug + xi * cg * og + o0 * cg, Vb + xi * cg * TB, koff, 0, t1 - t0,
                               t1 - t0, Mb + xi * TBp * og + o0, og);
            }
          for (int64_t t = t0; t < t1; t++)
            winogradOutputTile(out, Mb + (t - t0) * og, TBp * og, t / (TH * TW), (t / TW) % TH, t % TW);
        }
      });
    }
    return true;
  }
  const int64_t Tp = roundUp(T, shape.pixels) + shape.pixels;  // rows of M a short last tile may write
  float* Vt = scratch(c, 0, 7, 16 * cg * T);
  float* M = scratch(c, 0, 8, 16 * Tp * og);
  int32_t* koff = reinterpret_cast<int32_t*>(scratch(c, 0, 9, cg));
  for (int64_t ch = 0; ch < cg; ch++) koff[ch] = (int32_t)(ch * T);
  for (int64_t gi = 0; gi < G; gi++) {
    // V_ξ[c][t] = (Bᵀ d B)_ξ for the patch of tile t in channel c
    par(c, cg * N, 1, [&](int64_t b, int64_t e, int) {
      for (int64_t it = b; it < e; it++) {
        const int64_t ch = it % cg, n = it / cg;
        const float* even = padded + (n * C + gi * cg + ch) * plane;
        for (int64_t ty = 0; ty < TH; ty++)
          winogradInputRow(even, even + Hp * Ws, Ws, ty, 0, TW, Vt + ch * T + (n * TH + ty) * TW, cg * T);
      }
    });
    // M_ξ[t][o] = Σ_c V_ξ[c][t] · U_ξ[c][o]
    const int64_t pTiles = (T + shape.pixels - 1) / shape.pixels, pGroups = (pTiles + kOcTilesPerItem - 1) / kOcTilesPerItem;
    const float* Ug = U + gi * 16 * cg * og;
    par(c, 16 * oBlocks * pGroups, 1, [&](int64_t b, int64_t e, int) {
      for (int64_t it = b; it < e; it++) {
        const int64_t pg = it % pGroups, ob = (it / pGroups) % oBlocks, xi = it / (pGroups * oBlocks);
        const int64_t o0 = ob * blockWidth, t0 = pg * kOcTilesPerItem * shape.pixels, t1 = imin(T, t0 + kOcTilesPerItem * shape.pixels);
        winogradProducts(shape, cg, imin(blockWidth, og - o0), Ug + xi * cg * og + o0 * cg, Vt + xi * cg * T, koff, t0, t1, T,
                         M + xi * Tp * og + o0, og);
      }
    });
    // Y = Aᵀ M A per tile
    const WinogradOut out{y, bias, relu, O, OH, OW, og, gi};
    par(c, T, 4, [&](int64_t b, int64_t e, int) {
      for (int64_t t = b; t < e; t++) winogradOutputTile(out, M + t * og, Tp * og, t / (TH * TW), (t / TW) % TH, t % TW);
    });
  }
  return true;
}
#endif

/**
 * Correlation y[n][g·og+o][oy][ox] = bias[·] + Σ A_g[o][(c,ky,kx)] · x[n][g·cg+c][oy·sh−pt+ky·dh][ox·sw−pl+kx·dw],
 * A packed per group in kMR-row panels (roundUp(og, kMR)·K floats per group). Pads may be negative (crop).
 * The input is split into sh·sw phase planes (phasePlanes), where every tap of a run of consecutive
 * outputs (flat index q = oy·Ws + ox) is a contiguous run at a fixed offset; stride 1 is one phase.
 */
bool flatConv(Call& c, const char* op, int64_t N, int64_t C, int64_t H, int64_t W, int64_t G, int64_t kh, int64_t kw,
              int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t pt, int64_t pb, int64_t pl, int64_t pr, int64_t O,
              int64_t OH, int64_t OW, const float* x, const float* A, const float* bias, bool relu, float* y,
              const float* Aoc = nullptr) {
  const int64_t cg = C / G, og = O / G, K = cg * kh * kw;
  const int64_t Hp = H + pt + pb, Wp = W + pl + pr;
  if (Hp < 1 || Wp < 1 || OH != (Hp - (kh - 1) * dh - 1) / sh + 1 || OW != (Wp - (kw - 1) * dw - 1) / sw + 1 ||
      Hp - (kh - 1) * dh < 1 || Wp - (kw - 1) * dw < 1)
    return fail(c, "%s: inconsistent geometry", op);
  const int64_t Hs = (Hp + sh - 1) / sh, Ws = (Wp + sw - 1) / sw, plane = sh * sw * Hs * Ws, rowLen = Ws;
  if (cg * plane > (int64_t(1) << 30)) return fail(c, "%s: channel group too large (%lld elements)", op, (long long)(cg * plane));
  if (c.checkOnly) return true;
  int32_t* koff = reinterpret_cast<int32_t*>(scratch(c, 0, 3, K));
  for (int64_t ch = 0, k = 0; ch < cg; ch++)
    for (int64_t ky = 0; ky < kh; ky++)
      for (int64_t kx = 0; kx < kw; kx++) {
        const int64_t ry = ky * dh, rx = kx * dw;
        koff[k++] = (int32_t)(ch * plane + ((ry % sh) * sw + rx % sw) * Hs * Ws + (ry / sh) * Ws + rx / sw);
      }
  const int64_t Q = OH * Ws;
  // tile shape: kMR rows × kNR columns, or fewer rows and wider columns for layers with few outputs
  const int rowsPerTile = og >= kMR ? kMR : og == 1 ? 1 : og == 2 ? 2 : og <= 4 && kMR > 4 ? 4 : kMR;
  const int wideNV = rowsPerTile == 1 ? kSmallNV1 : rowsPerTile == 2 ? kSmallNV2 : rowsPerTile == 4 && kMR > 4 ? kSmallNV4 : kNV;
  const int64_t tileNR = (int64_t)wideNV * V::L;
  const int64_t aStride = roundUp(og, kMR) * K;
  const int64_t qTiles = (Q + tileNR - 1) / tileNR, mChunks = (og + kMC - 1) / kMC;
  // Without padding the input is already laid out as the padded buffer would be: read in place. The
  // last tiles of the last image and group read up to a tile past its end: they gather their taps
  // into a small zero-filled copy instead (copying the whole input for them cost conv D ~130 µs).
  const float* xp = x;
  const int64_t xEnd = N * C * plane;
  const bool inPlace = sh == 1 && sw == 1 && pt == 0 && pb == 0 && pl == 0 && pr == 0;
  if (!inPlace) {
    const int64_t tail = kWidestNR + kNR + Ws + (kw - 1) * dw + 2 * V::L;
    float* padded = scratch(c, 0, 2, N * C * plane + tail);
    phasePlanes(c, x, N * C, H, W, pt, pl, sh, sw, Hs, Ws, padded, tail);
    xp = padded;
  }
#if defined(__AVX512F__)
  if (Aoc) {
    ocConv(c, N, C, G, og, K, OH, OW, Ws, plane, xp, koff, Aoc, bias, relu, y);
    return true;
  }
#endif
  par(c, N * G * qTiles * mChunks, 1, [&](int64_t b, int64_t e, int t) {
    float* tile = scratch(c, t, 1, kMR * kWidestNR + kMR * kNR);
    for (int64_t it = b; it < e; it++) {
      const int64_t mc = it % mChunks, qt = (it / mChunks) % qTiles, ng = it / (mChunks * qTiles);
      const int64_t n = ng / G, g = ng % G;
      const int64_t q0 = qt * tileNR, nq = imin(tileNR, Q - q0);
      // full-row tiles shrink at the tail; narrow-row tiles always run at full width (reads stay in the slack)
      const int nv = rowsPerTile == kMR ? (int)((nq + V::L - 1) / V::L) : wideNV;
      const int64_t bw = nv * V::L;
      const float* base = xp + (n * C + g * cg) * plane + q0;
      const int32_t* taps = koff;
      if (inPlace && (base - xp) + tileNR + koff[K - 1] > xEnd) {
        float* gathered = scratch(c, t, 10, K * tileNR);
        int32_t* local = reinterpret_cast<int32_t*>(scratch(c, t, 11, K));
        for (int64_t k = 0; k < K; k++) {
          const int64_t from = (base - xp) + koff[k], have = imax(0, imin(tileNR, xEnd - from));
          std::memcpy(gathered + k * tileNR, base + koff[k], (size_t)have * 4);
          std::memset(gathered + k * tileNR + have, 0, (size_t)(tileNR - have) * 4);
          local[k] = (int32_t)(k * tileNR);
        }
        base = gathered;
        taps = local;
      }
      const int64_t i0 = mc * kMC, i1 = imin(og, i0 + kMC);
      for (int64_t i = i0; i < i1; i += rowsPerTile) {
        const float* Ap = A + g * aStride + (i / kMR) * kMR * K + (i % kMR);
        const OffsetB bb{base, taps};
        switch (rowsPerTile) {
          case 1: microRows<1, kSmallNV1>(K, Ap, bb, tile, false); break;
          case 2: microRows<2, kSmallNV2>(K, Ap, bb, tile, false); break;
#if defined(__AVX512F__)
          case 4: microRows<4, kSmallNV4>(K, Ap, bb, tile, false); break;
#endif
          default: microN(nv, K, Ap, bb, tile, false); break;
        }
        const int64_t mr = imin(rowsPerTile, i1 - i);
        for (int64_t r = 0; r < mr; r++) {
          const int64_t o = g * og + i + r;
          const float bv = bias ? bias[o] : 0.0f;
          float* yo = y + (n * O + o) * OH * OW;
          const float* tr = tile + r * bw;
          // the tile's columns, one flat row at a time: the first OW of each row are outputs
          for (int64_t j = 0, oy = q0 / rowLen, ox = q0 % rowLen; j < nq; oy++, ox = 0) {
            const int64_t run = imin(nq - j, rowLen - ox), valid = imax(0, imin(run, OW - ox));
            float* __restrict dst = yo + oy * OW + ox;
            const float* __restrict src = tr + j;
            if (relu)
              for (int64_t t2 = 0; t2 < valid; t2++) dst[t2] = src[t2] + bv > 0.0f ? src[t2] + bv : 0.0f;
            else
              for (int64_t t2 = 0; t2 < valid; t2++) dst[t2] = src[t2] + bv;
            j += run;
          }
        }
      }
    }
  });
  return true;
}

/** Forward weights packed per group: A_g[o][(c,ky,kx)] = w[g·og+o][c][ky][kx]. */
const float* forwardWeights(Call& c, int wi, const ConvGeo& g, const float* w) {
  const int64_t aStride = roundUp(g.og, kMR) * g.K;
  bool fresh = false;
  const uint64_t key = 0x1000000000ull ^ ((uint64_t)g.G << 40) ^ ((uint64_t)g.og << 20) ^ (uint64_t)g.K;
  float* A = c.sv->cache(c, wi, key, g.G * aStride, &fresh);
  if (!A) A = scratch(c, 0, 4, g.G * aStride), fresh = true;
  if (fresh)
    for (int64_t gi = 0; gi < g.G; gi++)
      packPanels(g.og, g.K, [&](int64_t o, int64_t k) { return w[(gi * g.og + o) * g.K + k]; }, A + gi * aStride);
  return A;
}

#if defined(__AVX512F__) || defined(__AVX2__)
/**
 * Winograd weights of input 1, cached on its buffer: the forward layer's, or (`transposed`) those of
 * the input gradient's correlation with the transposed, flipped weights.
 */
const float* winogradWeights(Call& c, const ConvGeo& g, const float* w, bool transposed) {
  bool fresh = false;
  const uint64_t key = (transposed ? 0x5000000000ull : 0x4000000000ull) ^ ((uint64_t)g.G << 40) ^ ((uint64_t)g.og << 20) ^ (uint64_t)g.K;
  const int64_t floats = g.G * 16 * g.cg * g.og + 1;
  float* U = c.sv->cache(c, 1, key, floats, &fresh);
  if (!U) U = scratch(c, 0, 5, floats), fresh = true;
  if (fresh) packWinogradWeights(g.G, transposed ? g.cg : g.og, transposed ? g.og : g.cg, w, transposed, U);
  return U;
}
#endif

bool forward(Call& c, const char* op, bool fusedAttr) {
  if (!arity(c, op, 3, 2, 1, kConvAttrs + (fusedAttr ? 1 : 0))) return false;
  ConvGeo g;
  if (!readGeo(c, op, g)) return false;
  int64_t act = 0;
  if (fusedAttr && !attrInt(c, op, kConvAttrs, 0, 1, &act)) return false;
  const Tensor &x = c.in[0], &w = c.in[1], &b = c.in[2], &y = c.out[0];
  if (!shapeIs(c, op, "x", x, g.N, g.C, g.H, g.W) || !shapeIs(c, op, "w", w, g.O, g.cg, g.kh, g.kw) ||
      !shapeIs(c, op, "y", y, g.N, g.O, g.OH, g.OW))
    return false;
  if (b.data && !sizeIs(c, op, "b", b, g.O)) return false;
  const bool relu = act == 1;
#if defined(__AVX512F__) || defined(__AVX2__)
  if (winogradPays(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.cg, g.og, g.OH, g.OW)) {
    const float* U = winogradWeights(c, g, w.data, false);
    if (c.checkOnly) return true;
    if (winogradConv(c, g.N, g.C, g.H, g.W, g.G, g.pt, g.pl, g.O, g.OH, g.OW, x.data, U, b.data, relu, y.data)) return true;
  }
#endif
  // phase planes pay off while every phase is read (stride within the kernel's extent)
  if (g.sh <= (g.kh - 1) * g.dh + 1 && g.sw <= (g.kw - 1) * g.dw + 1) {
    const float* Aoc = nullptr;  // weights for the output-channel tile, which then needs no row panels
#if defined(__AVX512F__)
    if (g.sh == 1 && g.sw == 1 && ocPays(g.og, g.OH, g.OW, g.W + g.pl + g.pr)) {
      bool fresh = false;
      const uint64_t key = 0x3000000000ull ^ ((uint64_t)g.G << 40) ^ ((uint64_t)g.og << 20) ^ (uint64_t)g.K;
      float* P = c.sv->cache(c, 1, key, g.G * g.og * g.K, &fresh);
      if (!P) P = scratch(c, 0, 5, g.G * g.og * g.K), fresh = true;
      if (fresh)
        for (int64_t gi = 0; gi < g.G; gi++) packOc(g.og, g.K, w.data, gi, P + gi * g.og * g.K);
      Aoc = P;
    }
#endif
    const float* A = Aoc ? nullptr : forwardWeights(c, 1, g, w.data);
    return flatConv(c, op, g.N, g.C, g.H, g.W, g.G, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pb, g.pl, g.pr, g.O, g.OH, g.OW,
                    x.data, A, b.data, relu, y.data, Aoc);
  }
  const float* A = forwardWeights(c, 1, g, w.data);
  if (c.checkOnly) return true;
  // strided: im2col panels gathered per column block
  const int64_t aStride = roundUp(g.og, kMR) * g.K;
  const float* xd = x.data;
  const float* bd = b.data;
  float* yd = y.data;
  gemm(
      c, g.N * g.G, g.og, g.P, g.K, [&](int64_t prob, int64_t i) { return A + (prob % g.G) * aStride + i * g.K; },
      [&](int64_t prob, int64_t j0, int64_t nr, int64_t k0, int64_t kc, float* dst, int64_t bw) {
        const int64_t n = prob / g.G, gi = prob % g.G;
        const float* xg = xd + (n * g.C + gi * g.cg) * g.H * g.W;
        for (int64_t kk = 0; kk < kc; kk++) {
          const int64_t k = k0 + kk, ch = k / (g.kh * g.kw), ky = (k / g.kw) % g.kh, kx = k % g.kw;
          const float* xc = xg + ch * g.H * g.W;
          float* d = dst + kk * bw;
          // one output row segment at a time: taps inside the input are a strided run, the rest zero
          for (int64_t j = 0; j < nr;) {
            const int64_t p = j0 + j, oy = p / g.OW, ox0 = p % g.OW, len = imin(g.OW - ox0, nr - j);
            const int64_t iy = oy * g.sh - g.pt + ky * g.dh, ix0 = ox0 * g.sw - g.pl + kx * g.dw;
            float* dj = d + j;
            if (iy < 0 || iy >= g.H) {
              for (int64_t t = 0; t < len; t++) dj[t] = 0.0f;
            } else {
              // t valid when 0 <= ix0 + t·sw < W
              const int64_t lo = ix0 >= 0 ? 0 : imin(len, (-ix0 + g.sw - 1) / g.sw);
              const int64_t hi = ix0 >= g.W ? 0 : imin(len, (g.W - 1 - ix0) / g.sw + 1);
              const float* row = xc + iy * g.W + ix0;
              int64_t t = 0;
              for (; t < lo; t++) dj[t] = 0.0f;
              for (; t < hi; t++) dj[t] = row[t * g.sw];
              for (t = t > lo ? t : lo; t < len; t++) dj[t] = 0.0f;
            }
            j += len;
          }
          for (int64_t j = nr; j < bw; j++) d[j] = 0.0f;
        }
      },
      [&](int64_t prob, int64_t i0, int64_t mr, int64_t j0, int64_t nr, const float* tile, int64_t ldt) {
        const int64_t n = prob / g.G, gi = prob % g.G;
        for (int64_t r = 0; r < mr; r++) {
          const int64_t o = gi * g.og + i0 + r;
          const float bv = bd ? bd[o] : 0.0f;
          float* yo = yd + (n * g.O + o) * g.P + j0;
          for (int64_t j = 0; j < nr; j++) {
            const float v = tile[r * ldt + j] + bv;
            yo[j] = relu ? (v > 0.0f ? v : 0.0f) : v;
          }
        }
      });
  return true;
}

bool conv2d(Call& c) { return forward(c, "conv2d", false); }
bool conv2dFused(Call& c) { return forward(c, "conv2dFused", true); }

bool conv2dBackpropInput(Call& c) {
  const char* op = "conv2dBackpropInput";
  if (!arity(c, op, 2, 2, 1, kConvAttrs)) return false;
  ConvGeo g;
  if (!readGeo(c, op, g)) return false;
  const Tensor &dy = c.in[0], &w = c.in[1], &dx = c.out[0];
  if (!shapeIs(c, op, "dy", dy, g.N, g.O, g.OH, g.OW) || !shapeIs(c, op, "w", w, g.O, g.cg, g.kh, g.kw) ||
      !shapeIs(c, op, "dx", dx, g.N, g.C, g.H, g.W))
    return false;
  const float* wd = w.data;
  const int64_t khw = g.kh * g.kw;
#if defined(__AVX512F__) || defined(__AVX2__)
  // stride 1: dx is a correlation of dy with the transposed, flipped weights, Winograd's case as well
  if (winogradPays(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.og, g.cg, g.H, g.W)) {
    const float* U = winogradWeights(c, g, wd, true);
    if (c.checkOnly) return true;
    if (winogradConv(c, g.N, g.O, g.OH, g.OW, g.G, 2 - g.pt, 2 - g.pl, g.C, g.H, g.W, dy.data, U, nullptr, false, dx.data)) return true;
  }
#endif
  if (g.sh == 1 && g.sw == 1) {
    // dx = stride-1 correlation of dy (og channels per group) with w'[c][o][ky][kx] = w[o][c][kh−1−ky][kw−1−kx]
    const int64_t K2 = g.og * khw, aStride = roundUp(g.cg, kMR) * K2;
    bool fresh = false;
    const uint64_t key = 0x2000000000ull ^ ((uint64_t)g.G << 40) ^ ((uint64_t)g.og << 20) ^ (uint64_t)g.K;
    float* A = c.sv->cache(c, 1, key, g.G * aStride, &fresh);
    if (!A) A = scratch(c, 0, 4, g.G * aStride), fresh = true;
    if (fresh)
      for (int64_t gi = 0; gi < g.G; gi++)
        packPanels(g.cg, K2, [&](int64_t ch, int64_t k) {
          const int64_t o = k / khw, ky = (k / g.kw) % g.kh, kx = k % g.kw;
          return wd[((gi * g.og + o) * g.cg + ch) * khw + (g.kh - 1 - ky) * g.kw + (g.kw - 1 - kx)];
        }, A + gi * aStride);
    const int64_t eh = (g.kh - 1) * g.dh, ew = (g.kw - 1) * g.dw;
    return flatConv(c, op, g.N, g.O, g.OH, g.OW, g.G, g.kh, g.kw, 1, 1, g.dh, g.dw, eh - g.pt, eh - g.pb, ew - g.pl,
                    ew - g.pr, g.C, g.H, g.W, dy.data, A, nullptr, false, dx.data);
  }
  if (c.checkOnly) return true;
  // strided: columns = Wᵀ·dy per (image, group), scattered into dx; one item per (image, group)
  const int64_t M2 = g.K, K2 = g.og, aStride = roundUp(M2, kMR) * K2;
  float* A = scratch(c, 0, 4, g.G * aStride);
  for (int64_t gi = 0; gi < g.G; gi++)
    packPanels(M2, K2, [&](int64_t row, int64_t o) { return wd[(gi * g.og + o) * g.K + row]; }, A + gi * aStride);
  const float* dyd = dy.data;
  float* dxd = dx.data;
  par(c, g.N * g.G, 1, [&](int64_t b, int64_t e, int t) {
    float* bbuf = scratch(c, t, 0, kKC * kNR);
    float* cbuf = scratch(c, t, 1, roundUp(M2, kMR) * kNR);
    for (int64_t it = b; it < e; it++) {
      const int64_t n = it / g.G, gi = it % g.G;
      float* dxg = dxd + (n * g.C + gi * g.cg) * g.H * g.W;
      memset(dxg, 0, sizeof(float) * g.cg * g.H * g.W);
      const float* dyg = dyd + (n * g.O + gi * g.og) * g.P;
      for (int64_t j0 = 0; j0 < g.P; j0 += kNR) {
        const int64_t nr = imin(kNR, g.P - j0);
        const int nv = (int)((nr + V::L - 1) / V::L);
        const int64_t bw = nv * V::L;
        for (int64_t k0 = 0; k0 < K2; k0 += kKC) {
          const int64_t kc = imin(kKC, K2 - k0);
          for (int64_t kk = 0; kk < kc; kk++) {
            float* d = bbuf + kk * bw;
            const float* s = dyg + (k0 + kk) * g.P + j0;
            for (int64_t j = 0; j < nr; j++) d[j] = s[j];
            for (int64_t j = nr; j < bw; j++) d[j] = 0.0f;
          }
          for (int64_t i = 0; i < M2; i += kMR)
            microN(nv, kc, A + gi * aStride + i * K2 + k0 * kMR, StridedB{bbuf, bw}, cbuf + i * bw, k0 > 0);
        }
        for (int64_t row = 0; row < M2; row++) {
          const int64_t ch = row / khw, ky = (row / g.kw) % g.kh, kx = row % g.kw;
          float* dxc = dxg + ch * g.H * g.W;
          const float* tr = cbuf + (row / kMR) * kMR * bw + (row % kMR) * bw;
          int64_t oy = j0 / g.OW, ox = j0 % g.OW;
          for (int64_t j = 0; j < nr; j++) {
            const int64_t iy = oy * g.sh - g.pt + ky * g.dh, ix = ox * g.sw - g.pl + kx * g.dw;
            if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) dxc[iy * g.W + ix] += tr[j];
            if (++ox == g.OW) ox = 0, oy++;
          }
        }
      }
    }
  });
  return true;
}

/** One image's dy rows for the filter gradient: each of O rows laid out Q = OH·Wp long (zeros past OW), then zeros to Qp. */
inline void filterGradDyRows(const ConvGeo& g, const float* s, float* a, int64_t rows, bool flat, int64_t Wp, int64_t Q, int64_t Qp) {
  for (int64_t o = 0; o < rows; o++, s += g.P, a += Qp) {
    if (flat) {
      for (int64_t oy = 0; oy < g.OH; oy++) {
        for (int64_t ox = 0; ox < g.OW; ox++) a[oy * Wp + ox] = s[oy * g.OW + ox];
        for (int64_t ox = g.OW; ox < Wp; ox++) a[oy * Wp + ox] = 0.0f;
      }
    } else {
      memcpy(a, s, sizeof(float) * g.P);
    }
    for (int64_t q = Q; q < Qp; q++) a[q] = 0.0f;
  }
}

/** Dot tile (gi, ot, ·)'s kDotM dy rows of one image (`dyRows`: O rows Qp apart); rows past the group's end repeat its last one. */
inline void filterGradTileDyRows(const ConvGeo& g, const float* dyRows, int64_t Qp, int64_t gi, int64_t ot, const float** ap) {
  for (int r = 0; r < kDotM; r++) ap[r] = dyRows + (gi * g.og + imin(ot * kDotM + r, g.og - 1)) * Qp;
}

/**
 * Dot tile (gi, ·, kt)'s kDotK x taps of one image at stride 1, each a shifted window of a padded plane
 * (`planes`: C planes `plane` apart); taps past K repeat the last one. `storeFilterGradTile` drops the repeats.
 */
inline void filterGradTileTaps(const ConvGeo& g, const float* planes, int64_t Wp, int64_t plane, int64_t gi, int64_t kt, const float** bp) {
  const int64_t khw = g.kh * g.kw;
  for (int s = 0; s < kDotK; s++) {
    const int64_t k = imin(kt * kDotK + s, g.K - 1), ch = k / khw, ky = (k / g.kw) % g.kh, kx = k % g.kw;
    bp[s] = planes + (gi * g.cg + ch) * plane + ky * g.dh * Wp + kx * g.dw;
  }
}

/** The valid part of dot tile (gi, ot, kt), sums `sum`, into dw (O×K): stored, or added where `accumulate`. */
inline void storeFilterGradTile(const ConvGeo& g, const float* sum, float* dw, int64_t gi, int64_t ot, int64_t kt, bool accumulate) {
  for (int r = 0; r < kDotM && ot * kDotM + r < g.og; r++)
    for (int s = 0; s < kDotK && kt * kDotK + s < g.K; s++) {
      float* d = dw + (gi * g.og + ot * kDotM + r) * g.K + kt * kDotK + s;
      *d = accumulate ? *d + sum[r * kDotK + s] : sum[r * kDotK + s];
    }
}

/** Most floats of one image's rows (dy rows and padded planes) the image-at-a-time filter gradient takes. */
constexpr int64_t kFilterGradImageFloats = 12 * 1024;

bool conv2dBackpropFilter(Call& c) {
  const char* op = "conv2dBackpropFilter";
  if (!arity(c, op, 2, 2, 1, kConvAttrs)) return false;
  ConvGeo g;
  if (!readGeo(c, op, g)) return false;
  const Tensor &x = c.in[0], &dy = c.in[1], &dw = c.out[0];
  if (!shapeIs(c, op, "x", x, g.N, g.C, g.H, g.W) || !shapeIs(c, op, "dy", dy, g.N, g.O, g.OH, g.OW) ||
      !shapeIs(c, op, "dw", dw, g.O, g.cg, g.kh, g.kw))
    return false;
  if (c.checkOnly) return true;
  const bool flat = g.sh == 1 && g.sw == 1;
  const int64_t Hp = g.H + g.pt + g.pb, Wp = g.W + g.pl + g.pr, plane = Hp * Wp;
  // Per image: a[o] rows (dy, zero beyond the valid pixels) and b(k) rows (x taps), both of length Qp.
  const int64_t Q = flat ? g.OH * Wp : g.P, Qp = roundUp(Q, V::L);
  const int64_t tail = kNR + (g.kw - 1) * g.dw + 2 * V::L;
  const float* xd = x.data;
  const float* dyd = dy.data;
  float* dwd = dw.data;
  const int64_t oTiles = (g.og + kDotM - 1) / kDotM, kTiles = (g.K + kDotK - 1) / kDotK, tiles = g.G * oTiles * kTiles;
  if (flat && g.O * Qp + g.C * plane + tail <= kFilterGradImageFloats) {
    // Small images (LeNet's): one image at a time, its rows built in the thread's scratch just before
    // every tile reads them from L1, summed into the partial gradient of a fixed share of the batch;
    // the shares are added in order after (the same sums at any thread count). With each batch's rows
    // built first, conv E's 1.4 MB of them streamed from L3 once per tile, and 2 threads ran slower than 1.
    const int64_t shares = imin(g.N, 16), OK = g.O * g.K;
    float* partials = scratch(c, 0, 2, shares * OK);
    par(c, shares, 1, [&](int64_t b, int64_t e, int t) {
      float* a = scratch(c, t, 4, g.O * Qp);
      float* planes = scratch(c, t, 5, g.C * plane + tail);
      memset(planes + g.C * plane, 0, sizeof(float) * tail);
      for (int64_t share = b; share < e; share++) {
        float* part = partials + share * OK;
        for (int64_t n = g.N * share / shares, first = n; n < g.N * (share + 1) / shares; n++) {
          filterGradDyRows(g, dyd + n * g.O * g.P, a, g.O, true, Wp, Q, Qp);
          for (int64_t ch = 0; ch < g.C; ch++) padPlane(xd + (n * g.C + ch) * g.H * g.W, planes + ch * plane, g.H, g.W, g.pt, g.pl, Hp, Wp);
          for (int64_t it = 0; it < tiles; it++) {
            const int64_t kt = it % kTiles, ot = (it / kTiles) % oTiles, gi = it / (kTiles * oTiles);
            const float* ap[kDotM];
            const float* bp[kDotK];
            float sum[kDotM * kDotK];
            filterGradTileDyRows(g, a, Qp, gi, ot, ap);
            filterGradTileTaps(g, planes, Wp, plane, gi, kt, bp);
            dotTile(Qp, ap, bp, sum, kDotK, false);
            storeFilterGradTile(g, sum, part, gi, ot, kt, n > first);
          }
        }
      }
    });
    for (int64_t i = 0; i < OK; i++) {
      float v = partials[i];
      for (int64_t share = 1; share < shares; share++) v += partials[share * OK + i];
      dwd[i] = v;
    }
    return true;
  }
  // Images in batches of nb: each batch's rows are built once, then every tile sums over the batch
  // (one parallel pass per batch, not per image: LeNet's 64 small images would be 64 pool wake-ups).
  const int64_t perImage = flat ? g.O * Qp + g.C * plane : g.O * Qp + g.G * g.K * Qp;
  const int64_t nb = flat ? imax(1, imin(g.N, (int64_t(1) << 24) / imax(1, perImage))) : 1;
  float* arows = scratch(c, 0, 2, nb * g.O * Qp);
  float* brows = flat ? scratch(c, 0, 3, nb * g.C * plane + tail) : scratch(c, 0, 3, g.G * g.K * Qp);
  const int64_t khw = g.kh * g.kw;
  for (int64_t n0 = 0; n0 < g.N; n0 += nb) {
    const int64_t cnt = imin(nb, g.N - n0);
    par(c, cnt * g.O, 4, [&](int64_t b, int64_t e, int) {
      filterGradDyRows(g, dyd + (n0 * g.O + b) * g.P, arows + b * Qp, e - b, flat, Wp, Q, Qp);
    });
    if (flat) {
      padPlanes(c, xd + n0 * g.C * g.H * g.W, cnt * g.C, g.H, g.W, g.pt, g.pl, Hp, Wp, brows, tail);
    } else {
      const int64_t n = n0;
      par(c, g.G * g.K, 4, [&](int64_t b, int64_t e, int) {
        for (int64_t gk = b; gk < e; gk++) {
          const int64_t gi = gk / g.K, k = gk % g.K, ch = k / khw, ky = (k / g.kw) % g.kh, kx = k % g.kw;
          const float* xc = xd + (n * g.C + gi * g.cg + ch) * g.H * g.W;
          float* d = brows + gk * Qp;
          for (int64_t oy = 0, p = 0; oy < g.OH; oy++) {
            const int64_t iy = oy * g.sh - g.pt + ky * g.dh;
            for (int64_t ox = 0; ox < g.OW; ox++, p++) {
              const int64_t ix = ox * g.sw - g.pl + kx * g.dw;
              d[p] = (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W) ? xc[iy * g.W + ix] : 0.0f;
            }
          }
          for (int64_t q = Q; q < Qp; q++) d[q] = 0.0f;
        }
      });
    }
    const bool accumulate = n0 > 0;
    par(c, tiles, 1, [&](int64_t b, int64_t e, int) {
      for (int64_t it = b; it < e; it++) {
        const int64_t kt = it % kTiles, ot = (it / kTiles) % oTiles, gi = it / (kTiles * oTiles);
        float sum[kDotM * kDotK];
        for (int64_t i = 0; i < cnt; i++) {
          const float* ap[kDotM];
          const float* bp[kDotK];
          filterGradTileDyRows(g, arows + i * g.O * Qp, Qp, gi, ot, ap);
          if (flat)
            filterGradTileTaps(g, brows + i * g.C * plane, Wp, plane, gi, kt, bp);
          else
            for (int s = 0; s < kDotK; s++) bp[s] = brows + (gi * g.K + imin(kt * kDotK + s, g.K - 1)) * Qp;
          dotTile(Qp, ap, bp, sum, kDotK, i > 0);
        }
        storeFilterGradTile(g, sum, dwd, gi, ot, kt, accumulate);
      }
    });
  }
  return true;
}

bool reverseSpatial(Call& c) {
  const char* op = "reverseSpatial";
  if (!arity(c, op, 1, 1, 1, 0)) return false;
  const Tensor &x = c.in[0], &y = c.out[0];
  if (!sameShape(x, y)) return fail(c, "%s: y must have x's shape", op);
  const int64_t W = x.shape[x.rank - 1], H = x.rank >= 2 ? x.shape[x.rank - 2] : 1, planes = x.size / (H * W);
  const float* xd = x.data;
  float* yd = y.data;
  par(c, planes, 16, [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++)
      for (int64_t i = 0; i < H; i++)
        for (int64_t j = 0; j < W; j++) yd[(p * H + i) * W + j] = xd[(p * H + H - 1 - i) * W + (W - 1 - j)];
  });
  return true;
}

}  // namespace

extern const KernelEntry kConvKernels[] = {
    {"conv2d", conv2d},
    {"conv2dFused", conv2dFused},
    {"conv2dBackpropInput", conv2dBackpropInput},
    {"conv2dBackpropFilter", conv2dBackpropFilter},
    {"reverseSpatial", reverseSpatial},
    {nullptr, nullptr},
};

}  // namespace HC_ISA
}  // namespace hc
