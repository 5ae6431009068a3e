// Peak-FLOPs probe: independent FMA chains that fill the pipelines (no memory traffic), per
// instruction set, so the benchmark can report convolution speed as a share of this machine's peak.
#include "isa.h"

namespace hc {
namespace HC_ISA {
namespace {

/** Runs `iters` rounds of 16 independent vector FMA chains; returns the flops done (2 per lane per FMA). */
__attribute__((noinline)) double fmaChains(int64_t iters, float* sink) {
  constexpr int kChains = 16;
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

/** peakProbe: attrs [iters]; output [1] holds the flops done (the caller times the call). */
bool peakProbe(Call& c) {
  const char* op = "peakProbe";
  if (!arity(c, op, 0, 0, 1, 1)) return false;
  int64_t iters;
  if (!attrInt(c, op, 0, 1, int64_t(1) << 32, &iters)) return false;
  float sink;
  c.out[0].data[0] = (float)fmaChains(iters, &sink);
  if (c.out[0].size > 1) c.out[0].data[1] = sink;
  return true;
}

}  // namespace

extern const KernelEntry kProbeKernels[] = {
    {"peakProbe", peakProbe},
    {nullptr, nullptr},
};

}  // namespace HC_ISA
}  // namespace hc
