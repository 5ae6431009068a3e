// Dense family: activations, linear / matMul (packed GEMM), softmax, log-softmax, cross-entropy, argmax.
#include "gemm.h"

namespace hc {
namespace HC_ISA {
namespace {

template <class F>
bool unary(Call& c, const char* op, const F& f) {
  if (!arity(c, op, 1, 1, 1, 0)) return false;
  if (!sizeIs(c, op, "y", c.out[0], c.in[0].size)) return false;
  const float* x = c.in[0].data;
  float* y = c.out[0].data;
  par(c, c.in[0].size, 16384, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) y[i] = f(x[i]);
  });
  return true;
}

bool relu(Call& c) {
  return unary(c, "relu", [](float v) { return v > 0.0f ? v : (v != v ? v : 0.0f); });
}
bool sigmoid(Call& c) {
  return unary(c, "sigmoid", [](float v) { return 1.0f / (1.0f + expf(-v)); });
}
bool tanhK(Call& c) {
  return unary(c, "tanh", [](float v) { return tanhf(v); });
}

bool reluBackward(Call& c) {
  const char* op = "reluBackward";
  if (!arity(c, op, 2, 2, 1, 0)) return false;
  const int64_t n = c.in[1].size;
  if (!sizeIs(c, op, "dy", c.in[0], n) || !sizeIs(c, op, "dx", c.out[0], n)) return false;
  const float *dy = c.in[0].data, *x = c.in[1].data;
  float* dx = c.out[0].data;
  par(c, n, 16384, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
  });
  return true;
}

bool linear(Call& c) {
  const char* op = "linear";
  if (!arity(c, op, 3, 2, 1, 0)) return false;
  const Tensor &x = c.in[0], &w = c.in[1], &b = c.in[2], &y = c.out[0];
  if (x.rank != 2 || w.rank != 2 || y.rank != 2) return fail(c, "%s: x, w and y must be 2-d", op);
  const int64_t N = x.shape[0], In = x.shape[1], Out = w.shape[0];
  if (w.shape[1] != In) return fail(c, "%s: w must have %lld columns, got %lld", op, (long long)In, (long long)w.shape[1]);
  if (y.shape[0] != N || y.shape[1] != Out) return fail(c, "%s: y must have shape [%lld, %lld]", op, (long long)N, (long long)Out);
  if (b.data && !sizeIs(c, op, "b", b, Out)) return false;
  const int64_t aSize = roundUp(Out, kMR) * In;
  bool fresh = false;
  float* A = c.sv->cache(c, 1, 0x3000000000ull ^ (uint64_t)In, aSize, &fresh);
  if (!A) A = scratch(c, 0, 4, aSize), fresh = true;
  const float *wd = w.data, *xd = x.data, *bd = b.data;
  if (fresh) packPanels(Out, In, [&](int64_t o, int64_t k) { return wd[o * In + k]; }, A);
  float* yd = y.data;
  gemm(
      c, 1, Out, N, In, [&](int64_t, int64_t i) { return A + i * In; },
      [&](int64_t, int64_t j0, int64_t nr, int64_t k0, int64_t kc, float* dst, int64_t bw) {
        for (int64_t kk = 0; kk < kc; kk++) {
          float* d = dst + kk * bw;
          for (int64_t j = 0; j < nr; j++) d[j] = xd[(j0 + j) * In + k0 + kk];
          for (int64_t j = nr; j < bw; j++) d[j] = 0.0f;
        }
      },
      [&](int64_t, int64_t i0, int64_t mr, int64_t j0, int64_t nr, const float* tile, int64_t ldt) {
        for (int64_t r = 0; r < mr; r++) {
          const float bv = bd ? bd[i0 + r] : 0.0f;
          for (int64_t j = 0; j < nr; j++) yd[(j0 + j) * Out + i0 + r] = tile[r * ldt + j] + bv;
        }
      });
  return true;
}

bool matMul(Call& c) {
  const char* op = "matMul";
  if (!arity(c, op, 2, 2, 1, 2)) return false;
  int64_t ta, tb;
  if (!attrInt(c, op, 0, 0, 1, &ta) || !attrInt(c, op, 1, 0, 1, &tb)) return false;
  const Tensor &a = c.in[0], &b = c.in[1], &y = c.out[0];
  if (a.rank != 2 || b.rank != 2 || y.rank != 2) return fail(c, "%s: a, b and y must be 2-d", op);
  const int64_t M = ta ? a.shape[1] : a.shape[0], K = ta ? a.shape[0] : a.shape[1];
  const int64_t K2 = tb ? b.shape[1] : b.shape[0], N = tb ? b.shape[0] : b.shape[1];
  if (K != K2) return fail(c, "%s: inner sizes differ (%lld vs %lld)", op, (long long)K, (long long)K2);
  if (y.shape[0] != M || y.shape[1] != N) return fail(c, "%s: y must have shape [%lld, %lld]", op, (long long)M, (long long)N);
  const float *ad = a.data, *bd = b.data;
  float* yd = y.data;
  float* A = scratch(c, 0, 4, roundUp(M, kMR) * K);
  if (ta)
    packPanels(M, K, [&](int64_t i, int64_t k) { return ad[k * M + i]; }, A);
  else
    packPanels(M, K, [&](int64_t i, int64_t k) { return ad[i * K + k]; }, A);
  gemm(
      c, 1, M, N, K, [&](int64_t, int64_t i) { return A + i * K; },
      [&](int64_t, int64_t j0, int64_t nr, int64_t k0, int64_t kc, float* dst, int64_t bw) {
        for (int64_t kk = 0; kk < kc; kk++) {
          float* d = dst + kk * bw;
          const int64_t k = k0 + kk;
          if (tb)
            for (int64_t j = 0; j < nr; j++) d[j] = bd[(j0 + j) * K + k];
          else
            for (int64_t j = 0; j < nr; j++) d[j] = bd[k * N + j0 + j];
          for (int64_t j = nr; j < bw; j++) d[j] = 0.0f;
        }
      },
      [&](int64_t, int64_t i0, int64_t mr, int64_t j0, int64_t nr, const float* tile, int64_t ldt) {
        for (int64_t r = 0; r < mr; r++)
          for (int64_t j = 0; j < nr; j++) yd[(i0 + r) * N + j0 + j] = tile[r * ldt + j];
      });
  return true;
}

struct Axis {
  int64_t outer, size, inner;
};

bool readAxis(Call& c, const char* op, const Tensor& x, Axis& ax) {
  if (!attrInt(c, op, 0, 1, x.size, &ax.outer) || !attrInt(c, op, 1, 1, x.size, &ax.size) ||
      !attrInt(c, op, 2, 1, x.size, &ax.inner))
    return false;
  if (ax.outer * ax.size * ax.inner != x.size)
    return fail(c, "%s: outer·axisSize·inner must equal %lld elements", op, (long long)x.size);
  return true;
}

/** softmax (log = false) or log-softmax along the axis, max-shifted, sums in double. */
bool softmaxFwd(Call& c, const char* op, bool log) {
  if (!arity(c, op, 1, 1, 1, 3)) return false;
  Axis ax;
  if (!readAxis(c, op, c.in[0], ax) || !sizeIs(c, op, "y", c.out[0], c.in[0].size)) return false;
  const float* x = c.in[0].data;
  float* y = c.out[0].data;
  par(c, ax.outer * ax.inner, 16, [&](int64_t b, int64_t e, int) {
    for (int64_t l = b; l < e; l++) {
      const int64_t o = l / ax.inner, in = l % ax.inner, base = o * ax.size * ax.inner + in;
      float m = -INFINITY;
      for (int64_t k = 0; k < ax.size; k++) m = fmaxf(m, x[base + k * ax.inner]);
      double s = 0;
      for (int64_t k = 0; k < ax.size; k++) s += exp((double)x[base + k * ax.inner] - m);
      const double ls = std::log(s);
      for (int64_t k = 0; k < ax.size; k++) {
        const double d = (double)x[base + k * ax.inner] - m;
        y[base + k * ax.inner] = (float)(log ? d - ls : exp(d - ls));
      }
    }
  });
  return true;
}
bool softmax(Call& c) { return softmaxFwd(c, "softmax", false); }
bool logSoftmax(Call& c) { return softmaxFwd(c, "logSoftmax", true); }

/** softmax: dx = y·(dy − Σ dy·y); log-softmax: dx = dy − exp(y)·Σ dy. */
bool softmaxBwd(Call& c, const char* op, bool log) {
  if (!arity(c, op, 2, 2, 1, 3)) return false;
  Axis ax;
  const int64_t n = c.in[1].size;
  if (!readAxis(c, op, c.in[1], ax) || !sizeIs(c, op, "dy", c.in[0], n) || !sizeIs(c, op, "dx", c.out[0], n)) return false;
  const float *dy = c.in[0].data, *y = c.in[1].data;
  float* dx = c.out[0].data;
  par(c, ax.outer * ax.inner, 16, [&](int64_t b, int64_t e, int) {
    for (int64_t l = b; l < e; l++) {
      const int64_t o = l / ax.inner, in = l % ax.inner, base = o * ax.size * ax.inner + in;
      double s = 0;
      for (int64_t k = 0; k < ax.size; k++) {
        const int64_t i = base + k * ax.inner;
        s += log ? (double)dy[i] : (double)dy[i] * y[i];
      }
      for (int64_t k = 0; k < ax.size; k++) {
        const int64_t i = base + k * ax.inner;
        dx[i] = log ? (float)(dy[i] - std::exp((double)y[i]) * s) : (float)(y[i] * (dy[i] - s));
      }
    }
  });
  return true;
}
bool softmaxBackward(Call& c) { return softmaxBwd(c, "softmaxBackward", false); }
bool logSoftmaxBackward(Call& c) { return softmaxBwd(c, "logSoftmaxBackward", true); }

bool ceArgs(Call& c, const char* op, int64_t* N, int64_t* K) {
  const Tensor &logits = c.in[0], &labels = c.in[1];
  if (logits.rank != 2) return fail(c, "%s: logits must be 2-d", op);
  *N = logits.shape[0];
  *K = logits.shape[1];
  if (!sizeIs(c, op, "labels", labels, *N)) return false;
  for (int64_t n = 0; n < *N; n++) {
    const float l = labels.data[n];
    if (!(l >= 0 && l < (float)*K) || l != std::floor(l))
      return fail(c, "%s: labels[%lld] must be an integer class index in [0, %lld), got %g", op, (long long)n,
                  (long long)*K, (double)l);
  }
  return true;
}

/** log Σ exp(row) with the max shift. */
inline double logSumExp(const float* row, int64_t K, float* maxOut) {
  float m = -INFINITY;
  for (int64_t k = 0; k < K; k++) m = fmaxf(m, row[k]);
  double s = 0;
  for (int64_t k = 0; k < K; k++) s += std::exp((double)row[k] - m);
  *maxOut = m;
  return std::log(s);
}

bool softmaxCrossEntropy(Call& c) {
  const char* op = "softmaxCrossEntropy";
  if (!arity(c, op, 2, 2, 1, 0)) return false;
  int64_t N, K;
  if (!ceArgs(c, op, &N, &K) || !sizeIs(c, op, "loss", c.out[0], 1)) return false;
  const float *lg = c.in[0].data, *lb = c.in[1].data;
  double total = 0;
  for (int64_t n = 0; n < N; n++) {
    float m;
    const double ls = logSumExp(lg + n * K, K, &m);
    total += ls - ((double)lg[n * K + (int64_t)lb[n]] - m);
  }
  c.out[0].data[0] = (float)(total / N);
  return true;
}

bool softmaxCrossEntropyBackward(Call& c) {
  const char* op = "softmaxCrossEntropyBackward";
  if (!arity(c, op, 3, 3, 1, 0)) return false;
  int64_t N, K;
  if (!ceArgs(c, op, &N, &K) || !sizeIs(c, op, "dy", c.in[2], 1) || !sizeIs(c, op, "dlogits", c.out[0], N * K)) return false;
  const float *lg = c.in[0].data, *lb = c.in[1].data;
  const double scale = (double)c.in[2].data[0] / N;
  float* d = c.out[0].data;
  par(c, N, 16, [&](int64_t b, int64_t e, int) {
    for (int64_t n = b; n < e; n++) {
      float m;
      const double ls = logSumExp(lg + n * K, K, &m);
      for (int64_t k = 0; k < K; k++) {
        const double p = std::exp((double)lg[n * K + k] - m - ls);
        d[n * K + k] = (float)((p - (k == (int64_t)lb[n] ? 1.0 : 0.0)) * scale);
      }
    }
  });
  return true;
}

bool argmax(Call& c) {
  const char* op = "argmax";
  if (!arity(c, op, 1, 1, 1, 3)) return false;
  Axis ax;
  if (!readAxis(c, op, c.in[0], ax) || !sizeIs(c, op, "y", c.out[0], ax.outer * ax.inner)) return false;
  const float* x = c.in[0].data;
  float* y = c.out[0].data;
  par(c, ax.outer * ax.inner, 64, [&](int64_t b, int64_t e, int) {
    for (int64_t l = b; l < e; l++) {
      const int64_t o = l / ax.inner, in = l % ax.inner, base = o * ax.size * ax.inner + in;
      int64_t best = 0;
      float m = x[base];
      for (int64_t k = 1; k < ax.size && m == m; k++) {
        const float v = x[base + k * ax.inner];
        if (v > m || v != v) best = k, m = v;
      }
      y[l] = (float)best;
    }
  });
  return true;
}

}  // namespace

extern const KernelEntry kDenseKernels[] = {
    {"relu", relu},
    {"reluBackward", reluBackward},
    {"sigmoid", sigmoid},
    {"tanh", tanhK},
    {"linear", linear},
    {"matMul", matMul},
    {"softmax", softmax},
    {"softmaxBackward", softmaxBackward},
    {"logSoftmax", logSoftmax},
    {"logSoftmaxBackward", logSoftmaxBackward},
    {"softmaxCrossEntropy", softmaxCrossEntropy},
    {"softmaxCrossEntropyBackward", softmaxCrossEntropyBackward},
    {"argmax", argmax},
    {nullptr, nullptr},
};

}  // namespace HC_ISA
}  // namespace hc
