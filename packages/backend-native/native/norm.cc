// Normalization family: batch/layer/group norm forward and backward, FRN (+TLU), TLU.
// Statistics in two passes (mean, then Σ(x − mean)²), float lanes per chunk summed in double.
#include "isa.h"

namespace hc {
namespace HC_ISA {
namespace {

inline bool channelVec(Call& c, const char* op, int i, int64_t C, const char* what) {
  return !present(c, i) || sizeIs(c, op, what, c.in[i], C);
}

inline bool attrEps(Call& c, const char* op, int i, float* eps) {
  if (!attrFinite(c, op, i, eps)) return false;
  if (*eps < 0) return fail(c, "%s: eps must be >= 0, got %g", op, (double)*eps);
  return true;
}

/** y = (x − mean)·a + b over n elements, then ReLU if asked. */
inline void affine(const float* x, float* y, int64_t n, float mean, float a, float b, bool relu) {
  for (int64_t i = 0; i < n; i++) {
    const float v = (x[i] - mean) * a + b;
    y[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
  }
}

/** Two-pass statistics of n contiguous values: the mean, then the biased variance around it. */
inline void meanAndVariance(const float* x, int64_t n, float* mean, float* var) {
  *mean = (float)(sumOf(x, n) / (double)n);
  double t[2];
  sums2(x, nullptr, n, *mean, *mean, true, t);
  *var = (float)(t[1] / (double)n);
}

/** dx = k·(dy − c0 − (x − mean)·c1): the shared shape of every norm's input gradient. */
inline void normGrad(const float* dy, const float* x, float* dx, int64_t n, float mean, float k, float c0, float c1) {
  for (int64_t i = 0; i < n; i++) dx[i] = k * (dy[i] - c0 - (x[i] - mean) * c1);
}

bool bnInference(Call& c, const char* op, bool fused) {
  if (!arity(c, op, 5, 3, 1, fused ? 2 : 1)) return false;
  float eps;
  if (!attrEps(c, op, 0, &eps)) return false;
  int64_t act = 0;
  if (fused && !attrInt(c, op, 1, 0, 1, &act)) return false;
  int64_t N, C, S;
  const Tensor& x = c.in[0];
  if (!ncs(c, op, x, &N, &C, &S)) return false;
  if (!sizeIs(c, op, "mean", c.in[1], C) || !sizeIs(c, op, "variance", c.in[2], C) ||
      !channelVec(c, op, 3, C, "scale") || !channelVec(c, op, 4, C, "offset") || !sameShape(x, c.out[0]))
    return c.err[0] ? false : fail(c, "%s: y must have x's shape", op);
  const float *m = c.in[1].data, *v = c.in[2].data, *sc = c.in[3].data, *of = c.in[4].data;
  const float* xd = x.data;
  float* y = c.out[0].data;
  par(c, N * C, 4, [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++) {
      const int64_t ch = p % C;
      const float a = (sc ? sc[ch] : 1.0f) / std::sqrt(v[ch] + eps);
      affine(xd + p * S, y + p * S, S, m[ch], a, of ? of[ch] : 0.0f, act == 1);
    }
  });
  return true;
}
bool batchNormInference(Call& c) { return bnInference(c, "batchNormInference", false); }
bool batchNormInferenceFused(Call& c) { return bnInference(c, "batchNormInferenceFused", true); }

bool batchNormTraining(Call& c) {
  const char* op = "batchNormTraining";
  if (!arity(c, op, 3, 1, 3, 1)) return false;
  float eps;
  if (!attrEps(c, op, 0, &eps)) return false;
  int64_t N, C, S;
  const Tensor& x = c.in[0];
  if (!ncs(c, op, x, &N, &C, &S)) return false;
  if (!channelVec(c, op, 1, C, "scale") || !channelVec(c, op, 2, C, "offset")) return false;
  if (!sameShape(x, c.out[0])) return fail(c, "%s: y must have x's shape", op);
  if (!sizeIs(c, op, "mean", c.out[1], C) || !sizeIs(c, op, "variance", c.out[2], C)) return false;
  const float *xd = x.data, *sc = c.in[1].data, *of = c.in[2].data;
  float *y = c.out[0].data, *mo = c.out[1].data, *vo = c.out[2].data;
  const double M = (double)(N * S);
  par(c, C, 1, [&](int64_t b, int64_t e, int) {
    for (int64_t ch = b; ch < e; ch++) {
      double s = 0;
      for (int64_t n = 0; n < N; n++) s += sumOf(xd + (n * C + ch) * S, S);
      const float mean = (float)(s / M);
      double q = 0, r[2];
      for (int64_t n = 0; n < N; n++) {
        sums2(xd + (n * C + ch) * S, nullptr, S, mean, mean, true, r);
        q += r[1];
      }
      const float var = (float)(q / M);
      mo[ch] = mean;
      vo[ch] = var;
      const float a = (sc ? sc[ch] : 1.0f) / std::sqrt(var + eps);
      for (int64_t n = 0; n < N; n++)
        affine(xd + (n * C + ch) * S, y + (n * C + ch) * S, S, mean, a, of ? of[ch] : 0.0f, false);
    }
  });
  return true;
}

bool batchNormBackward(Call& c) {
  const char* op = "batchNormBackward";
  if (!arity(c, op, 5, 4, 3, 1)) return false;
  float eps;
  if (!attrEps(c, op, 0, &eps)) return false;
  int64_t N, C, S;
  const Tensor &dy = c.in[0], &x = c.in[1];
  if (!ncs(c, op, x, &N, &C, &S)) return false;
  if (!sameShape(dy, x) || !sameShape(x, c.out[0])) return fail(c, "%s: dy and dx must have x's shape", op);
  if (!sizeIs(c, op, "mean", c.in[2], C) || !sizeIs(c, op, "variance", c.in[3], C) || !channelVec(c, op, 4, C, "scale") ||
      !sizeIs(c, op, "dscale", c.out[1], C) || !sizeIs(c, op, "doffset", c.out[2], C))
    return false;
  const float *dyd = dy.data, *xd = x.data, *md = c.in[2].data, *vd = c.in[3].data, *sc = c.in[4].data;
  float *dx = c.out[0].data, *dsc = c.out[1].data, *dof = c.out[2].data;
  const double M = (double)(N * S);
  par(c, C, 1, [&](int64_t b, int64_t e, int) {
    for (int64_t ch = b; ch < e; ch++) {
      const float mu = md[ch];
      const double r = 1.0 / std::sqrt((double)vd[ch] + eps);
      double sdy = 0, sdyx = 0, t[2];
      for (int64_t n = 0; n < N; n++) {
        sums2(dyd + (n * C + ch) * S, xd + (n * C + ch) * S, S, 0.0f, mu, false, t);
        sdy += t[0];
        sdyx += t[1];
      }
      dof[ch] = (float)sdy;
      dsc[ch] = (float)(sdyx * r);
      const double k = (sc ? sc[ch] : 1.0) * r;
      for (int64_t n = 0; n < N; n++)
        normGrad(dyd + (n * C + ch) * S, xd + (n * C + ch) * S, dx + (n * C + ch) * S, S, mu, (float)k,
                 (float)(sdy / M), (float)(sdyx * r * r / M));
    }
  });
  return true;
}

bool layerNorm(Call& c) {
  const char* op = "layerNorm";
  if (!arity(c, op, 3, 1, 3, 2)) return false;
  int64_t R;
  float eps;
  const Tensor& x = c.in[0];
  if (!attrInt(c, op, 0, 1, x.size, &R) || !attrEps(c, op, 1, &eps)) return false;
  if (x.size % R) return fail(c, "%s: rowSize %lld must divide %lld", op, (long long)R, (long long)x.size);
  const int64_t rows = x.size / R;
  if (!channelVec(c, op, 1, R, "weight") || !channelVec(c, op, 2, R, "bias") || !sameShape(x, c.out[0]) ||
      !sizeIs(c, op, "mean", c.out[1], rows) || !sizeIs(c, op, "variance", c.out[2], rows))
    return c.err[0] ? false : fail(c, "%s: y must have x's shape", op);
  const float *xd = x.data, *w = c.in[1].data, *bi = c.in[2].data;
  float *y = c.out[0].data, *mo = c.out[1].data, *vo = c.out[2].data;
  par(c, rows, 1, [&](int64_t b, int64_t e, int) {
    for (int64_t r = b; r < e; r++) {
      const float* xr = xd + r * R;
      float mean, var;
      meanAndVariance(xr, R, &mean, &var);
      mo[r] = mean;
      vo[r] = var;
      const float inv = 1.0f / std::sqrt(var + eps);
      float* yr = y + r * R;
      if (w && bi)
        for (int64_t j = 0; j < R; j++) yr[j] = (xr[j] - mean) * inv * w[j] + bi[j];
      else
        for (int64_t j = 0; j < R; j++) yr[j] = (xr[j] - mean) * inv * (w ? w[j] : 1.0f) + (bi ? bi[j] : 0.0f);
    }
  });
  return true;
}

bool layerNormBackward(Call& c) {
  const char* op = "layerNormBackward";
  if (!arity(c, op, 5, 4, 3, 2)) return false;
  int64_t R;
  float eps;
  const Tensor &dy = c.in[0], &x = c.in[1];
  if (!attrInt(c, op, 0, 1, x.size, &R) || !attrEps(c, op, 1, &eps)) return false;
  if (x.size % R) return fail(c, "%s: rowSize %lld must divide %lld", op, (long long)R, (long long)x.size);
  const int64_t rows = x.size / R;
  if (!sameShape(dy, x) || !sameShape(x, c.out[0])) return fail(c, "%s: dy and dx must have x's shape", op);
  if (!sizeIs(c, op, "mean", c.in[2], rows) || !sizeIs(c, op, "variance", c.in[3], rows) ||
      !channelVec(c, op, 4, R, "weight") || !sizeIs(c, op, "dweight", c.out[1], R) || !sizeIs(c, op, "dbias", c.out[2], R))
    return false;
  const float *dyd = dy.data, *xd = x.data, *md = c.in[2].data, *vd = c.in[3].data, *w = c.in[4].data;
  float *dx = c.out[0].data, *dw = c.out[1].data, *db = c.out[2].data;
  par(c, rows, 1, [&](int64_t b, int64_t e, int) {
    for (int64_t r = b; r < e; r++) {
      const float *dr = dyd + r * R, *xr = xd + r * R;
      const double inv = 1.0 / std::sqrt((double)vd[r] + eps);
      const float mu = md[r];
      double t[2];
      weightedSums(dr, w, xr, R, mu, t);
      const double sg = t[0], sgx = t[1];
      const float c0 = (float)(sg / R), c1 = (float)(sgx * inv * inv / R);
      float* dxr = dx + r * R;
      const float k = (float)inv;
      if (w)
        for (int64_t j = 0; j < R; j++) dxr[j] = k * (dr[j] * w[j] - c0 - (xr[j] - mu) * c1);
      else
        for (int64_t j = 0; j < R; j++) dxr[j] = k * (dr[j] - c0 - (xr[j] - mu) * c1);
    }
  });
  // parameter gradients: Σ over rows, row by row into double accumulators (parallel over column blocks)
  double* inv = reinterpret_cast<double*>(scratch(c, 0, 2, 2 * rows));
  for (int64_t r = 0; r < rows; r++) inv[r] = 1.0 / std::sqrt((double)vd[r] + eps);
  constexpr int64_t kBlock = 1024;
  par(c, (R + kBlock - 1) / kBlock, 1, [&](int64_t b, int64_t e, int t) {
    double* acc = reinterpret_cast<double*>(scratch(c, t, 0, 4 * kBlock));
    for (int64_t blk = b; blk < e; blk++) {
      const int64_t j0 = blk * kBlock, n = imin(kBlock, R - j0);
      double* sw = acc;
      double* sb = acc + kBlock;
      for (int64_t j = 0; j < n; j++) sw[j] = sb[j] = 0.0;
      for (int64_t r = 0; r < rows; r++) {
        const float* d = dyd + r * R + j0;
        const float* xr = xd + r * R + j0;
        const float mu = md[r];
        const float k = (float)inv[r];
        for (int64_t j = 0; j < n; j++) {
          sb[j] += d[j];
          sw[j] += d[j] * ((xr[j] - mu) * k);
        }
      }
      for (int64_t j = 0; j < n; j++) {
        dw[j0 + j] = (float)sw[j];
        db[j0 + j] = (float)sb[j];
      }
    }
  });
  return true;
}

bool groupNorm(Call& c) {
  const char* op = "groupNorm";
  if (!arity(c, op, 3, 1, 3, 2)) return false;
  int64_t N, C, S, Gn;
  float eps;
  const Tensor& x = c.in[0];
  if (!ncs(c, op, x, &N, &C, &S)) return false;
  if (!attrInt(c, op, 0, 1, C, &Gn) || !attrEps(c, op, 1, &eps)) return false;
  if (C % Gn) return fail(c, "%s: numGroups %lld must divide channels %lld", op, (long long)Gn, (long long)C);
  if (!channelVec(c, op, 1, C, "weight") || !channelVec(c, op, 2, C, "bias") || !sameShape(x, c.out[0]) ||
      !sizeIs(c, op, "mean", c.out[1], N * Gn) || !sizeIs(c, op, "variance", c.out[2], N * Gn))
    return c.err[0] ? false : fail(c, "%s: y must have x's shape", op);
  const int64_t cpg = C / Gn, span = cpg * S;
  const float *xd = x.data, *w = c.in[1].data, *bi = c.in[2].data;
  float *y = c.out[0].data, *mo = c.out[1].data, *vo = c.out[2].data;
  par(c, N * Gn, 1, [&](int64_t b, int64_t e, int) {
    for (int64_t ng = b; ng < e; ng++) {
      const float* xg = xd + ng * span;
      float mean, var;
      meanAndVariance(xg, span, &mean, &var);
      mo[ng] = mean;
      vo[ng] = var;
      const float inv = 1.0f / std::sqrt(var + eps);
      for (int64_t k = 0; k < cpg; k++) {
        const int64_t ch = (ng % Gn) * cpg + k;
        affine(xg + k * S, y + ng * span + k * S, S, mean, inv * (w ? w[ch] : 1.0f), bi ? bi[ch] : 0.0f, false);
      }
    }
  });
  return true;
}

bool groupNormBackward(Call& c) {
  const char* op = "groupNormBackward";
  if (!arity(c, op, 5, 4, 3, 2)) return false;
  int64_t N, C, S, Gn;
  float eps;
  const Tensor &dy = c.in[0], &x = c.in[1];
  if (!ncs(c, op, x, &N, &C, &S)) return false;
  if (!attrInt(c, op, 0, 1, C, &Gn) || !attrEps(c, op, 1, &eps)) return false;
  if (C % Gn) return fail(c, "%s: numGroups %lld must divide channels %lld", op, (long long)Gn, (long long)C);
  if (!sameShape(dy, x) || !sameShape(x, c.out[0])) return fail(c, "%s: dy and dx must have x's shape", op);
  if (!sizeIs(c, op, "mean", c.in[2], N * Gn) || !sizeIs(c, op, "variance", c.in[3], N * Gn) ||
      !channelVec(c, op, 4, C, "weight") || !sizeIs(c, op, "dweight", c.out[1], C) || !sizeIs(c, op, "dbias", c.out[2], C))
    return false;
  const int64_t cpg = C / Gn, span = cpg * S;
  const float *dyd = dy.data, *xd = x.data, *md = c.in[2].data, *vd = c.in[3].data, *w = c.in[4].data;
  float *dx = c.out[0].data, *dwo = c.out[1].data, *dbo = c.out[2].data;
  // per-(n, c) sums Σdy and Σdy·(x − mean) in scratch, reused by both passes
  float* sums = scratch(c, 0, 2, 2 * N * C);
  par(c, N * Gn, 1, [&](int64_t b, int64_t e, int) {
    for (int64_t ng = b; ng < e; ng++) {
      const float mu = md[ng];
      const double r = 1.0 / std::sqrt((double)vd[ng] + eps);
      double sg = 0, sgx = 0, t[2];
      for (int64_t k = 0; k < cpg; k++) {
        const int64_t ch = (ng % Gn) * cpg + k, p = (ng / Gn) * C + ch;
        sums2(dyd + p * S, xd + p * S, S, 0.0f, mu, false, t);
        sums[2 * p] = (float)t[0];
        sums[2 * p + 1] = (float)(t[1] * r);
        const double wc = w ? w[ch] : 1.0;
        sg += wc * t[0];
        sgx += wc * t[1];
      }
      const float c0 = (float)(sg / span), c1 = (float)(sgx * r * r / span);
      for (int64_t k = 0; k < cpg; k++) {
        const int64_t ch = (ng % Gn) * cpg + k, p = (ng / Gn) * C + ch;
        const float wc = w ? w[ch] : 1.0f;
        const float* dp = dyd + p * S;
        const float* xp = xd + p * S;
        float* o = dx + p * S;
        for (int64_t i = 0; i < S; i++) o[i] = (float)r * (wc * dp[i] - c0 - (xp[i] - mu) * c1);
      }
    }
  });
  for (int64_t ch = 0; ch < C; ch++) {
    double sb = 0, sw = 0;
    for (int64_t n = 0; n < N; n++) {
      sb += sums[2 * (n * C + ch)];
      sw += sums[2 * (n * C + ch) + 1];
    }
    dbo[ch] = (float)sb;
    dwo[ch] = (float)sw;
  }
  return true;
}

bool frnArgs(Call& c, const char* op, int wIdx, int64_t* N, int64_t* C, int64_t* S) {
  if (!ncs(c, op, c.in[0], N, C, S)) return false;
  if (!sizeIs(c, op, "eps", c.in[1], 1)) return false;
  return channelVec(c, op, wIdx, *C, "weight") && channelVec(c, op, wIdx + 1, *C, "bias");
}

/** FRN of one plane into y (then max with tau if given); returns ν². */
inline float frnPlane(const float* x, float* y, int64_t S, float absEps, float w, float b, const float* tau) {
  double t[2];
  sums2(x, nullptr, S, 0.0f, 0.0f, true, t);
  const float nu2 = (float)(t[1] / (double)S);
  const float k = w / std::sqrt(nu2 + absEps);
  for (int64_t i = 0; i < S; i++) {
    const float v = x[i] * k + b;
    y[i] = tau ? (v > *tau ? v : *tau) : v;
  }
  return nu2;
}

bool frn(Call& c) {
  const char* op = "frn";
  if (!arity(c, op, 4, 2, 2, 0)) return false;
  int64_t N, C, S;
  if (!frnArgs(c, op, 2, &N, &C, &S)) return false;
  if (!sameShape(c.in[0], c.out[0]) || !sizeIs(c, op, "nu2", c.out[1], N * C)) return c.err[0] ? false : fail(c, "%s: y must have x's shape", op);
  const float absEps = std::fabs(c.in[1].data[0]);
  const float *xd = c.in[0].data, *w = c.in[2].data, *bi = c.in[3].data;
  float *y = c.out[0].data, *nu = c.out[1].data;
  par(c, N * C, 4, [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++) {
      const int64_t ch = p % C;
      nu[p] = frnPlane(xd + p * S, y + p * S, S, absEps, w ? w[ch] : 1.0f, bi ? bi[ch] : 0.0f, nullptr);
    }
  });
  return true;
}

bool frnTlu(Call& c) {
  const char* op = "frnTlu";
  if (!arity(c, op, 5, 3, 1, 0)) return false;
  int64_t N, C, S;
  if (!frnArgs(c, op, 3, &N, &C, &S)) return false;
  if (!sizeIs(c, op, "tau", c.in[2], C)) return false;
  if (!sameShape(c.in[0], c.out[0])) return fail(c, "%s: y must have x's shape", op);
  const float absEps = std::fabs(c.in[1].data[0]);
  const float *xd = c.in[0].data, *tau = c.in[2].data, *w = c.in[3].data, *bi = c.in[4].data;
  float* y = c.out[0].data;
  par(c, N * C, 4, [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++) {
      const int64_t ch = p % C;
      frnPlane(xd + p * S, y + p * S, S, absEps, w ? w[ch] : 1.0f, bi ? bi[ch] : 0.0f, tau + ch);
    }
  });
  return true;
}

bool frnBackward(Call& c) {
  const char* op = "frnBackward";
  if (!arity(c, op, 5, 4, 4, 0)) return false;
  const Tensor &dy = c.in[0], &x = c.in[1];
  int64_t N, C, S;
  if (!ncs(c, op, x, &N, &C, &S)) return false;
  if (!sameShape(dy, x) || !sameShape(x, c.out[0])) return fail(c, "%s: dy and dx must have x's shape", op);
  if (!sizeIs(c, op, "nu2", c.in[2], N * C) || !sizeIs(c, op, "eps", c.in[3], 1) || !channelVec(c, op, 4, C, "weight") ||
      !sizeIs(c, op, "dweight", c.out[1], C) || !sizeIs(c, op, "dbias", c.out[2], C) || !sizeIs(c, op, "deps", c.out[3], 1))
    return false;
  const float e = c.in[3].data[0], absEps = std::fabs(e);
  const float *dyd = dy.data, *xd = x.data, *nd = c.in[2].data, *w = c.in[4].data;
  float* dx = c.out[0].data;
  float* sums = scratch(c, 0, 2, 3 * N * C);  // per plane: Σdy, Σdy·x·r, w·Σdy·x·r³
  par(c, N * C, 4, [&](int64_t b, int64_t en, int) {
    for (int64_t p = b; p < en; p++) {
      const int64_t ch = p % C;
      const double r = 1.0 / std::sqrt((double)nd[p] + absEps);
      double t[2];
      sums2(dyd + p * S, xd + p * S, S, 0.0f, 0.0f, false, t);
      const double wc = w ? w[ch] : 1.0;
      sums[3 * p] = (float)t[0];
      sums[3 * p + 1] = (float)(t[1] * r);
      sums[3 * p + 2] = (float)(wc * t[1] * r * r * r);
      const float k = (float)(wc * r), c1 = (float)(r * r * t[1] / S);
      const float* dp = dyd + p * S;
      const float* xp = xd + p * S;
      float* o = dx + p * S;
      for (int64_t i = 0; i < S; i++) o[i] = k * (dp[i] - xp[i] * c1);
    }
  });
  double deps = 0;
  for (int64_t ch = 0; ch < C; ch++) {
    double sb = 0, sw = 0;
    for (int64_t n = 0; n < N; n++) {
      sb += sums[3 * (n * C + ch)];
      sw += sums[3 * (n * C + ch) + 1];
      deps += sums[3 * (n * C + ch) + 2];
    }
    c.out[2].data[ch] = (float)sb;
    c.out[1].data[ch] = (float)sw;
  }
  c.out[3].data[0] = (float)(-0.5 * deps * (e > 0 ? 1.0 : e < 0 ? -1.0 : 0.0));
  return true;
}

bool tlu(Call& c) {
  const char* op = "tlu";
  if (!arity(c, op, 2, 2, 1, 0)) return false;
  int64_t N, C, S;
  if (!ncs(c, op, c.in[0], &N, &C, &S) || !sizeIs(c, op, "tau", c.in[1], C)) return false;
  if (!sameShape(c.in[0], c.out[0])) return fail(c, "%s: y must have x's shape", op);
  const float *xd = c.in[0].data, *tau = c.in[1].data;
  float* y = c.out[0].data;
  par(c, N * C, 8, [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++) {
      const float t = tau[p % C];
      for (int64_t i = p * S; i < (p + 1) * S; i++) y[i] = xd[i] > t ? xd[i] : t;
    }
  });
  return true;
}

bool tluBackward(Call& c) {
  const char* op = "tluBackward";
  if (!arity(c, op, 3, 3, 2, 0)) return false;
  int64_t N, C, S;
  const Tensor &dy = c.in[0], &x = c.in[1];
  if (!ncs(c, op, x, &N, &C, &S) || !sizeIs(c, op, "tau", c.in[2], C) || !sizeIs(c, op, "dtau", c.out[1], C)) return false;
  if (!sameShape(dy, x) || !sameShape(x, c.out[0])) return fail(c, "%s: dy and dx must have x's shape", op);
  const float *dyd = dy.data, *xd = x.data, *tau = c.in[2].data;
  float* dx = c.out[0].data;
  float* planeSums = scratch(c, 0, 2, N * C);
  par(c, N * C, 8, [&](int64_t b, int64_t e, int) {
    for (int64_t p = b; p < e; p++) {
      const float t = tau[p % C];
      double s = 0;
      for (int64_t i = p * S; i < (p + 1) * S; i++) {
        const bool pass = xd[i] > t;
        dx[i] = pass ? dyd[i] : 0.0f;
        if (!pass) s += dyd[i];
      }
      planeSums[p] = (float)s;
    }
  });
  for (int64_t ch = 0; ch < C; ch++) {
    double s = 0;
    for (int64_t n = 0; n < N; n++) s += planeSums[n * C + ch];
    c.out[1].data[ch] = (float)s;
  }
  return true;
}

}  // namespace

extern const KernelEntry kNormKernels[] = {
    {"batchNormInference", batchNormInference},
    {"batchNormInferenceFused", batchNormInferenceFused},
    {"batchNormTraining", batchNormTraining},
    {"batchNormBackward", batchNormBackward},
    {"layerNorm", layerNorm},
    {"layerNormBackward", layerNormBackward},
    {"groupNorm", groupNorm},
    {"groupNormBackward", groupNormBackward},
    {"frn", frn},
    {"frnBackward", frnBackward},
    {"frnTlu", frnTlu},
    {"tlu", tlu},
    {"tluBackward", tluBackward},
    {nullptr, nullptr},
};

}  // namespace HC_ISA
}  // namespace hc
