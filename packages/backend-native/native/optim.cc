// Optimizer family: SGD (plain and momentum, PyTorch's rule), Adam/AdamW, AGC unit clip.
// Each writes fresh output buffers; inputs are read-only.
#include "isa.h"

namespace hc {
namespace HC_ISA {
namespace {

bool finiteAttrs(Call& c, const char* op, int n, float* out) {
  for (int i = 0; i < n; i++)
    if (!attrFinite(c, op, i, out + i)) return false;
  return true;
}

bool sameSizes(Call& c, const char* op, int nIn, int nOut) {
  const int64_t n = c.in[0].size;
  for (int i = 1; i < nIn; i++)
    if (c.in[i].data && !sizeIs(c, op, "input", c.in[i], n)) return false;
  for (int i = 0; i < nOut; i++)
    if (!sizeIs(c, op, "output", c.out[i], n)) return false;
  return true;
}

bool sgdStep(Call& c) {
  const char* op = "sgdStep";
  float a[2];  // lr, weightDecay
  if (!arity(c, op, 2, 2, 1, 2) || !finiteAttrs(c, op, 2, a) || !sameSizes(c, op, 2, 1)) return false;
  const float *p = c.in[0].data, *g = c.in[1].data;
  float* po = c.out[0].data;
  const float lr = a[0], wd = a[1];
  par(c, c.in[0].size, 16384, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) po[i] = p[i] - lr * (g[i] + wd * p[i]);
  });
  return true;
}

bool sgdMomentumStep(Call& c) {
  const char* op = "sgdMomentumStep";
  float a[5];  // lr, momentum, dampening, weightDecay, nesterov
  if (!arity(c, op, 3, 2, 2, 5) || !finiteAttrs(c, op, 5, a) || !sameSizes(c, op, 3, 2)) return false;
  const float *p = c.in[0].data, *g = c.in[1].data, *buf = c.in[2].data;
  float *po = c.out[0].data, *bo = c.out[1].data;
  const float lr = a[0], mom = a[1], damp = a[2], wd = a[3];
  const bool nesterov = a[4] != 0.0f;
  par(c, c.in[0].size, 16384, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) {
      const float gi = g[i] + wd * p[i];
      const float bi = buf ? mom * buf[i] + (1.0f - damp) * gi : gi;
      bo[i] = bi;
      po[i] = p[i] - lr * (nesterov ? gi + mom * bi : bi);
    }
  });
  return true;
}

bool adamStep(Call& c) {
  const char* op = "adamStep";
  float a[7];  // lr, beta1, beta2, eps, weightDecay, decoupled, step
  if (!arity(c, op, 4, 4, 3, 7) || !finiteAttrs(c, op, 7, a) || !sameSizes(c, op, 4, 3)) return false;
  int64_t step;
  if (!attrInt(c, op, 6, 1, int64_t(1) << 52, &step)) return false;
  const float *p = c.in[0].data, *g = c.in[1].data, *m = c.in[2].data, *v = c.in[3].data;
  float *po = c.out[0].data, *mo = c.out[1].data, *vo = c.out[2].data;
  const float lr = a[0], b1 = a[1], b2 = a[2], eps = a[3], wd = a[4];
  const bool decoupled = a[5] != 0.0f;
  const double bc1 = 1.0 - std::pow((double)b1, (double)step), bc2 = 1.0 - std::pow((double)b2, (double)step);
  const float stepSize = (float)(lr / bc1), rbc2 = (float)(1.0 / std::sqrt(bc2));
  par(c, c.in[0].size, 8192, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) {
      float pi = p[i], gi = g[i];
      if (decoupled) pi *= 1.0f - lr * wd;
      else gi += wd * pi;
      const float mi = b1 * m[i] + (1.0f - b1) * gi, vi = b2 * v[i] + (1.0f - b2) * gi * gi;
      mo[i] = mi;
      vo[i] = vi;
      po[i] = pi - stepSize * mi / (std::sqrt(vi) * rbc2 + eps);
    }
  });
  return true;
}

bool agcUnitClip(Call& c) {
  const char* op = "agcUnitClip";
  if (!arity(c, op, 2, 2, 1, 4) || !sameSizes(c, op, 2, 1)) return false;
  int64_t units, unitSize;
  float clipping, eps;
  const int64_t n = c.in[0].size;
  if (!attrInt(c, op, 0, 1, n, &units) || !attrInt(c, op, 1, 1, n, &unitSize) || !attrFinite(c, op, 2, &clipping) ||
      !attrFinite(c, op, 3, &eps))
    return false;
  if (units * unitSize != n) return fail(c, "%s: units·unitSize must equal %lld elements", op, (long long)n);
  const float *p = c.in[0].data, *g = c.in[1].data;
  float* go = c.out[0].data;
  par(c, units, 1, [&](int64_t b, int64_t e, int) {
    for (int64_t u = b; u < e; u++) {
      double wn[2], gn[2];
      sums2(p + u * unitSize, nullptr, unitSize, 0.0f, 0.0f, true, wn);
      sums2(g + u * unitSize, nullptr, unitSize, 0.0f, 0.0f, true, gn);
      const double w = std::sqrt(wn[1]), gg = std::sqrt(gn[1]);
      const double maxNorm = clipping * (w > eps ? w : (double)eps);
      const float k = gg > maxNorm ? (float)(maxNorm / (gg > 1e-6 ? gg : 1e-6)) : 1.0f;
      for (int64_t i = u * unitSize; i < (u + 1) * unitSize; i++) go[i] = g[i] * k;
    }
  });
  return true;
}

}  // namespace

extern const KernelEntry kOptimKernels[] = {
    {"sgdStep", sgdStep},
    {"sgdMomentumStep", sgdMomentumStep},
    {"adamStep", adamStep},
    {"agcUnitClip", agcUnitClip},
    {nullptr, nullptr},
};

}  // namespace HC_ISA
}  // namespace hc
