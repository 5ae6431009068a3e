// Shared by every translation unit: the call record a kernel receives and the services the base
// translation unit provides (threads, scratch, packed-weight cache).
//
// Kernel families are compiled once per instruction set (-DHC_ISA=avx512 / avx2 / base) into
// namespace hc::HC_ISA. Nothing in those translation units may instantiate a template or inline
// function shared with another one (the linker would keep one copy, possibly with AVX-512 code in
// it), so they use no STL and only the plain-C services declared here.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hc {

constexpr int kMaxRank = 8;
constexpr int kMaxInputs = 6;
constexpr int kMaxOutputs = 4;
constexpr int kMaxAttrs = 40;

/** A tensor as a kernel sees it; `data == nullptr` marks an absent optional input. */
struct Tensor {
  float* data;
  int64_t size;
  int rank;
  int64_t shape[kMaxRank];
};

struct Call;
/** Returns a per-thread scratch buffer of at least `floats` floats, 64-byte aligned (grown, never shrunk). */
struct Services;
using ScratchFn = float* (*)(const Services* sv, int thread, int slot, int64_t floats);
/**
 * The packed form of input `input` under `key`, `floats` long; sets *fresh when the caller must fill it.
 * Cached on the input's buffer and dropped when it is freed; null if the input cannot cache.
 */
using CacheFn = float* (*)(Call& call, int input, uint64_t key, int64_t floats, bool* fresh);
/** Runs fn(ctx, begin, end, thread) over [0, n) on the thread pool, in chunks of at least `grain`. */
using ParallelFn = void (*)(const Services* sv, int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t, int), void* ctx);

struct Services {
  ScratchFn scratch;
  CacheFn cache;
  ParallelFn parallel;
  int threads;
  void* owner;  // the binding's context
};

struct Call {
  Tensor in[kMaxInputs];
  int nIn;
  Tensor out[kMaxOutputs];
  int nOut;
  double attr[kMaxAttrs];
  int nAttr;
  const Services* sv;
  void* cacheCtx[kMaxInputs];
  // Set by the binding before queueing a kernel off the JS thread: the kernels that may run there
  // (convolutions) check everything and pack their cached weights, then return before the work, so
  // bad arguments still throw synchronously and the worker never touches a weight cache cold (except
  // a Winograd convolution whose input turns out non-finite or huge: its direct fallback packs there).
  bool checkOnly;
  char err[256];
};

using KernelFn = bool (*)(Call&);

struct KernelEntry {
  const char* name;
  KernelFn fn;
};

}  // namespace hc
