// Peak-FLOPs probe: independent FMA chains that fill the pipelines (no memory traffic), per
// instruction set, so the benchmark can report convolution speed as a share of this machine's peak.
#include <time.h>

#include "isa.h"

namespace hc {
namespace HC_ISA {
namespace {

/** Runs `iters` rounds of independent vector FMA chains; returns the flops done (2 per lane per FMA). */
__attribute__((noinline)) double fmaChains(int64_t iters, float* sink) {
  // enough chains to cover FMA latency × pipes, few enough to stay in registers with the two
  // constants (AVX2 and SSE have 16 vector registers; 16 chains there spill and halve the figure)
  constexpr int kChains = V::L == 16 ? 16 : 12;
  V acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = V::set1(1.0f + i * 1e-3f);
  const V a = V::set1(0.999999f), b = V::set1(1e-7f);
  for (int64_t it = 0; it < iters; it++) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; i++) acc[i] = V::fma(acc[i], a, b);
  }
  float s = 0;
  for (int i = 0; i < kChains; i++) s += acc[i].sum();
  *sink = s;
  return 2.0 * V::L * kChains * (double)iters;
}

double seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/**
 * peakProbe: attrs [iters]; every thread of the pool runs `iters` rounds of the FMA chains at once.
 * Output [2]: GFLOP/s of all threads together, and the seconds the call took.
 */
bool peakProbe(Call& c) {
  const char* op = "peakProbe";
  if (!arity(c, op, 0, 0, 1, 1)) return false;
  int64_t iters;
  if (!attrInt(c, op, 0, 1, int64_t(1) << 26, &iters)) return false;
  if (!sizeIs(c, op, "output", c.out[0], 2)) return false;
  const int threads = c.sv->threads;
  float sinks[256] = {};
  double flops[256] = {};  // per pool thread (the same count on each)
  const double t0 = seconds();
  par(c, threads, 1, [&](int64_t b, int64_t e, int t) {
    for (int64_t i = b; i < e; i++) flops[t & 255] = fmaChains(iters, &sinks[t & 255]);
  });
  const double dt = seconds() - t0;
  c.out[0].data[0] = dt > 0 ? (float)(flops[0] * threads / dt / 1e9) : 0.0f;
  c.out[0].data[1] = (float)dt + 0.0f * sinks[0];
  return true;
}

}  // namespace

extern const KernelEntry kProbeKernels[] = {
    {"peakProbe", peakProbe},
    {nullptr, nullptr},
};

}  // namespace HC_ISA
}  // namespace hc
