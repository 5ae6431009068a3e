// The register-tiled inner kernels shared by convolution and the dense layers, per instruction set.
//
// micro: C[kMR][NV·L] (+)= Σ_k A[k][kMR] ⊗ B(k)[NV·L]; A is a packed panel of kMR rows, B(k) points
//        at NV·L floats for reduction index k (a packed panel, or the input itself at an offset).
// gemm:  C = A·B over problems × M × N × K with A prepacked in kMR-row panels, B packed per panel of
//        columns by the caller's packer, tiles handed to the caller's store; parallel over
//        (problem, column panel, row chunk); K in blocks so a packed B panel stays in L2.
// dot:   kDotM × kDotK dot products of rows of length n (filter gradients: Σ_q dy[o][q]·x_k[q]).
#pragma once
#include "isa.h"

namespace hc {
namespace HC_ISA {

template <int MR, int NV, class BAddr>
inline void microRows(int64_t K, const float* __restrict A, const BAddr& b, float* __restrict C, bool accumulate) {
  // A: packed panel with kMR values per k (only the first MR used); C: MR rows of NV·L floats
  constexpr int L = V::L;
  V acc[MR][NV];
  if (accumulate) {
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) acc[r][v] = V::load(C + r * NV * L + v * L);
  } else {
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) acc[r][v] = V::zero();
  }
  for (int64_t k = 0; k < K; k++) {
    const float* bp = b(k);
    V bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) bv[v] = V::load(bp + v * L);
    const float* ap = A + k * kMR;
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      V a = V::set1(ap[r]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; v++) acc[r][v] = V::fma(a, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 8
    for (int v = 0; v < NV; v++) acc[r][v].store(C + r * NV * L + v * L);
}

template <int NV, class BAddr>
inline void micro(int64_t K, const float* __restrict A, const BAddr& b, float* __restrict C, bool accumulate) {
  microRows<kMR, NV>(K, A, b, C, accumulate);
}

/**
 * Tiles for layers with few output rows (LeNet's input gradient has one): fewer rows, wider, so the
 * accumulators still fill the registers. kSmallNV[r] = vectors per row for r rows (r = 1, 2, 4).
 */
#if defined(__AVX512F__)
constexpr int kSmallNV1 = 8, kSmallNV2 = 6, kSmallNV4 = 4;
#elif defined(__AVX2__)
constexpr int kSmallNV1 = 6, kSmallNV2 = 4, kSmallNV4 = 2;
#else
constexpr int kSmallNV1 = 4, kSmallNV2 = 2, kSmallNV4 = 2;
#endif
constexpr int kWidestNR = kSmallNV1 * V::L;

/** Runs micro with the narrowest vector count that covers `nv` (1..kNV). */
template <class BAddr>
inline void microN(int nv, int64_t K, const float* A, const BAddr& b, float* C, bool accumulate) {
  switch (nv) {
    case 1: micro<1>(K, A, b, C, accumulate); break;
#if defined(__AVX512F__) || defined(__AVX2__)
    case 2: micro<2>(K, A, b, C, accumulate); break;
#endif
    default: micro<kNV>(K, A, b, C, accumulate); break;
  }
}

struct StridedB {
  const float* base;
  int64_t stride;
  const float* operator()(int64_t k) const { return base + k * stride; }
};
struct OffsetB {
  const float* base;
  const int32_t* off;
  const float* operator()(int64_t k) const { return base + off[k]; }
};

inline int64_t roundUp(int64_t a, int64_t m) { return (a + m - 1) / m * m; }

/**
 * Packs rows [0, M) × K of a matrix given by at(i, k) into kMR-row panels: dst[(i/kMR)·K·kMR + k·kMR + i%kMR],
 * rows ≥ M zero. dst must hold roundUp(M, kMR)·K floats.
 */
template <class At>
inline void packPanels(int64_t M, int64_t K, const At& at, float* dst) {
  for (int64_t i0 = 0; i0 < M; i0 += kMR) {
    float* p = dst + i0 * K;
    for (int64_t k = 0; k < K; k++)
      for (int r = 0; r < kMR; r++) p[k * kMR + r] = i0 + r < M ? at(i0 + r, k) : 0.0f;
  }
}

constexpr int64_t kKC = 384;   // reduction block: a 384 × 48 panel is 72 KiB
constexpr int64_t kMC = 128;   // rows per work item

/**
 * C = A·B per problem. aPanel(prob, i0) → packed panel (K × kMR) of rows i0…; packB(prob, j0, nr, k0, kc, dst, bw)
 * fills dst[k·bw + j] for k < kc, j < bw (zero for j ≥ nr); store(prob, i0, mr, j0, nr, tile, ldt) receives
 * the finished tile rows i0…i0+mr, columns j0…j0+nr (tile[r·ldt + j]).
 */
template <class APanel, class PackB, class Store>
void gemm(Call& c, int64_t problems, int64_t M, int64_t N, int64_t K, const APanel& aPanel, const PackB& packB,
          const Store& store) {
  const int64_t nPanels = (N + kNR - 1) / kNR;
  const int64_t mChunks = (M + kMC - 1) / kMC;
  const int64_t items = problems * nPanels * mChunks;
  par(c, items, 1, [&](int64_t b, int64_t e, int t) {
    float* bbuf = scratch(c, t, 0, kKC * kNR);
    float* cbuf = scratch(c, t, 1, roundUp(kMC, kMR) * kNR);
    for (int64_t it = b; it < e; it++) {
      const int64_t mc = it % mChunks, jp = (it / mChunks) % nPanels, prob = it / (mChunks * nPanels);
      const int64_t j0 = jp * kNR, nr = imin(kNR, N - j0);
      const int nv = (int)((nr + V::L - 1) / V::L);
      const int64_t bw = nv * V::L;
      const int64_t i0 = mc * kMC, i1 = imin(M, i0 + kMC);
      for (int64_t k0 = 0; k0 < K; k0 += kKC) {
        const int64_t kc = imin(kKC, K - k0);
        packB(prob, j0, nr, k0, kc, bbuf, bw);
        for (int64_t i = i0; i < i1; i += kMR)
          microN(nv, kc, aPanel(prob, i) + k0 * kMR, StridedB{bbuf, bw}, cbuf + (i - i0) * bw, k0 > 0);
      }
      for (int64_t i = i0; i < i1; i += kMR) store(prob, i, imin(kMR, i1 - i), j0, nr, cbuf + (i - i0) * bw, bw);
    }
  });
}

/**
 * out[r][s] (+)= Σ_{q<n} a[r][q]·b[s][q] for r < kDotM, s < kDotK (out row stride ldo). Rows are read in
 * whole vectors up to roundUp(n, L): callers guarantee readable, zero-weighted tails.
 */
inline void dotTile(int64_t n, const float* const* a, const float* const* b, float* out, int64_t ldo, bool accumulate) {
  constexpr int L = V::L;
  V acc[kDotM][kDotK];
#pragma GCC unroll 8
  for (int r = 0; r < kDotM; r++)
#pragma GCC unroll 8
    for (int s = 0; s < kDotK; s++) acc[r][s] = V::zero();
  for (int64_t q = 0; q < n; q += L) {
    V av[kDotM];
#pragma GCC unroll 8
    for (int r = 0; r < kDotM; r++) av[r] = V::load(a[r] + q);
#pragma GCC unroll 8
    for (int s = 0; s < kDotK; s++) {
      V bv = V::load(b[s] + q);
#pragma GCC unroll 8
      for (int r = 0; r < kDotM; r++) acc[r][s] = V::fma(av[r], bv, acc[r][s]);
    }
  }
  for (int r = 0; r < kDotM; r++)
    for (int s = 0; s < kDotK; s++) {
      float v = acc[r][s].sum();
      out[r * ldo + s] = accumulate ? out[r * ldo + s] + v : v;
    }
}

}  // namespace HC_ISA
}  // namespace hc
