// The Node-API binding: a Context per backend instance owning its buffer registry, size-class pool,
// thread pool, per-thread scratch and packed-weight caches, and the kernel table chosen by cpuid.
// Every call is re-checked here (ids, ranks, dims, element counts) before a kernel sees a pointer;
// kernels re-check their own shapes and attributes.
#include <napi.h>
#include <sys/mman.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common.h"

namespace hc {
extern const KernelEntry* const kFamilies_base[];
#ifdef HC_PORTABLE_ONLY
constexpr const KernelEntry* const* kFamilies_avx512 = kFamilies_base;
constexpr const KernelEntry* const* kFamilies_avx2 = kFamilies_base;
#else
extern const KernelEntry* const kFamilies_avx512[];
extern const KernelEntry* const kFamilies_avx2[];
#endif

namespace {

constexpr int64_t kMaxElements = int64_t(1) << 33;  // 32 GiB of float32: beyond it, refuse before allocating

std::string detectIsa() {
#ifdef HC_PORTABLE_ONLY
  return "base";
#endif
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
  return "base";
}

// ---- memory from the system in 2 MiB transparent huge pages ----
// First touching a 4 KiB page costs 10–40 µs in these VMs; a 2 MiB page marked MADV_HUGEPAGE costs one
// fault (~0.1 ms to zero it): 25.7 MB of fresh output is ~1.3 ms instead of 6,000 faults.
constexpr size_t kHugePage = 2u << 20;

/** `bytes` (a multiple of kHugePage) mapped at a 2 MiB boundary and marked for huge pages; null on failure. */
char* mapHuge(size_t bytes) {
  // over-map by one page to align the start to 2 MiB, then unmap the slack on both sides
  char* raw = static_cast<char*>(mmap(nullptr, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (raw == MAP_FAILED) return nullptr;
  char* base = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHugePage - 1) & ~uintptr_t(kHugePage - 1));
  if (base > raw) munmap(raw, base - raw);
  if (raw + bytes + kHugePage > base + bytes) munmap(base + bytes, raw + bytes + kHugePage - (base + bytes));
#ifdef MADV_HUGEPAGE
  madvise(base, bytes, MADV_HUGEPAGE);
#endif
  return base;
}

// ---- size-class pool: classes of 2^k·{1, 1.25, 1.5, 1.75} bytes, 64-byte aligned ----
// Small blocks come from the C heap; blocks of 64 KiB up to 2 MiB are carved from huge-page slabs
// (kept until the pool goes); larger ones get huge pages of their own. Freed blocks wait in per-class
// lists, so steady state allocates nothing.
class BufferPool {
 public:
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer sees past the end of a heap block, not of a slab block: the sanitizer build
  // keeps every block on the heap
  static constexpr size_t kSlabMin = ~size_t(0) / 2;
#else
  static constexpr size_t kSlabMin = 64 * 1024;
#endif

  static size_t classOf(size_t bytes) {
    if (bytes <= 64) return 64;
    size_t p = 64;
    while (p * 2 < bytes) p *= 2;
    for (size_t q = p; q <= 2 * p; q += p / 4)
      if (q >= bytes) return (q + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
    return 2 * p;
  }
  float* take(size_t bytes, size_t* cls) {
    *cls = classOf(bytes);
    auto it = free_.find(*cls);
    if (it != free_.end() && !it->second.empty()) {
      float* p = it->second.back();
      it->second.pop_back();
      return p;
    }
    void* p = nullptr;
    if (*cls < kSlabMin) {
      p = std::aligned_alloc(64, *cls);
      if (p) held_ += *cls;
    } else if (*cls < kHugePage) {
      if (!slabLeft_ || slabUsed_ + *cls > kHugePage) {
        char* slab = mapHuge(kHugePage);
        if (!slab) return nullptr;
        slabs_.push_back(slab);
        held_ += kHugePage;
        slabLeft_ = slab;
        slabUsed_ = 0;
      }
      p = slabLeft_ + slabUsed_;
      slabUsed_ += *cls;
    } else {
      p = mapHuge(hugeBytes(*cls));
      if (p) held_ += hugeBytes(*cls);
    }
    return static_cast<float*>(p);
  }
  void give(float* p, size_t cls) {
    if (closed_ && cls < kSlabMin) {
      // a block a view kept past the context's dispose (see SharedBlock); slab blocks go with the pool
      std::free(p);
      held_ -= cls;
    } else if (closed_ && cls >= kHugePage) {
      munmap(p, hugeBytes(cls));
      held_ -= hugeBytes(cls);
    } else if (!closed_) {
      free_[cls].push_back(p);
    }
  }
  /** After dispose: blocks still coming back from views go to the system. */
  void close() {
    trim();
    closed_ = true;
  }
  /** Bytes of blocks that JS arrays view (tensor.data({copy: false})); changed by SharedBlock. */
  size_t viewed = 0;
  /** Returns the free blocks to the system (slab blocks stay with their slabs until the pool goes). */
  void trim() {
    for (auto& kv : free_) {
      if (kv.first >= kSlabMin && kv.first < kHugePage) continue;
      for (float* p : kv.second) {
        if (kv.first < kSlabMin) {
          std::free(p);
          held_ -= kv.first;
        } else {
          munmap(p, hugeBytes(kv.first));
          held_ -= hugeBytes(kv.first);
        }
      }
      kv.second.clear();
    }
  }
  size_t held() const { return held_; }
  ~BufferPool() {
    trim();
    for (char* slab : slabs_) munmap(slab, kHugePage);
  }

 private:
  static size_t hugeBytes(size_t cls) { return (cls + kHugePage - 1) / kHugePage * kHugePage; }
  std::unordered_map<size_t, std::vector<float*>> free_;
  std::vector<char*> slabs_;
  char* slabLeft_ = nullptr;  // the slab blocks are carved from
  size_t slabUsed_ = 0;
  size_t held_ = 0;
  bool closed_ = false;
};

/**
 * A tensor block that JS arrays view without a copy (`data({copy: false})`): the tensor holds one
 * reference and each view one, dropped by its ArrayBuffer's finalizer; the block goes back to the pool
 * with the last. Finalizers run on the JS thread, like every other use of the pool, and may run after
 * the context is disposed: hence the shared pool.
 */
struct SharedBlock {
  std::shared_ptr<BufferPool> pool;
  float* data;
  size_t cls;
  int refs;

  static void release(SharedBlock* b) {
    if (--b->refs > 0) return;
    b->pool->viewed -= b->cls;
    b->pool->give(b->data, b->cls);
    delete b;
  }
};

/**
 * A borrowed view of a tensor block (`tensor.borrow()`): one reference on the block, dropped by
 * whichever comes first: the free of the tensor, which detaches the array so its block goes straight
 * back to the pool, or the array's finalizer (collected first, or not detachable). Owned by both.
 */
struct Borrowed {
  SharedBlock* block;
  bool released = false;
  int owners = 2;  // the entry and the array's finalizer

  void release() {
    if (released) return;
    released = true;
    SharedBlock::release(block);
  }
  static void drop(Borrowed* b) {
    if (--b->owners == 0) delete b;
  }
};

// ---- persistent thread pool: workers wait on a generation counter; the caller is thread 0 ----
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

class ThreadPool {
 public:
  // Workers and the caller spin this many pauses (tens of microseconds) before blocking: kernels
  // come in quick succession, and a condition-variable wake-up costs more than a small kernel.
  static constexpr int kSpin = 4000;

  explicit ThreadPool(int threads) : threads_(threads), ranges_(new Range[threads]) {
    for (int t = 1; t < threads; t++) workers_.emplace_back([this, t] { loop(t); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int threads() const { return threads_; }
  void run(int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t, int), void* ctx) {
    int64_t chunk = (n + threads_ * 4 - 1) / (threads_ * 4);
    if (chunk < grain) chunk = grain;
    const int64_t chunks = (n + chunk - 1) / chunk;
    if (threads_ <= 1 || chunks <= 1) {
      fn(ctx, 0, n, 0);
      return;
    }
    {
      std::lock_guard<std::mutex> g(m_);
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      chunk_ = chunk;
      for (int t = 0; t < threads_; t++) {
        ranges_[t].next.store(chunks * t / threads_);
        ranges_[t].end = chunks * (t + 1) / threads_;
      }
      open_ = true;
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    work(0);
    // Wait only for workers that joined: one not yet scheduled (a busy core, a sleeping thread)
    // finds the job closed and stays out, so a small kernel never waits for a wake-up.
    {
      std::lock_guard<std::mutex> g(m_);
      open_ = false;
    }
    for (int i = 0; i < kSpin && joined_.load() != 0; i++) cpuRelax();
    if (joined_.load() != 0) {
      std::unique_lock<std::mutex> lk(m_);
      done_.wait(lk, [this] { return joined_.load() == 0; });
    }
    if (error_) {
      // a chunk failed (out of memory for scratch): the call fails on the JS thread, nothing aborts
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  /**
   * Thread t runs the chunks of its own range first, then takes what is left of the others'. Each
   * thread thus writes the same part of an output from one call to the next, where it is still in its
   * own cache: with chunks handed out in one shared order, the parts moved between the cores' caches
   * and two threads ran conv A's Winograd products 1.05× faster than one.
   */
  void work(int t) {
    for (int k = 0; k < threads_; k++) {
      Range& r = ranges_[(t + k) % threads_];
      for (;;) {
        const int64_t c = r.next.fetch_add(1);
        if (c >= r.end) break;
        const int64_t b = c * chunk_, e = b + chunk_ < n_ ? b + chunk_ : n_;
        try {
          fn_(ctx_, b, e, t);
        } catch (...) {
          std::lock_guard<std::mutex> g(errorMutex_);
          if (!error_) error_ = std::current_exception();
          for (int u = 0; u < threads_; u++) ranges_[u].next.store(ranges_[u].end);  // stop handing out chunks
        }
      }
    }
  }
  void loop(int t) {
    uint64_t seen = 0;
    for (;;) {
      for (int i = 0; i < kSpin && gen_.load() == seen; i++) cpuRelax();
      if (gen_.load() == seen) {
        std::unique_lock<std::mutex> lk(m_);
        cv_.wait(lk, [&] { return gen_.load() != seen; });
      }
      {
        std::lock_guard<std::mutex> g(m_);  // the job fields were written under this lock
        seen = gen_.load();
        if (stop_) return;
        if (!open_) continue;  // the caller finished the job alone
        joined_.fetch_add(1);
      }
      work(t);
      if (joined_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> g(m_);
        done_.notify_one();
      }
    }
  }
  int threads_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_;
  std::atomic<uint64_t> gen_{0};
  bool stop_ = false;
  void (*fn_)(void*, int64_t, int64_t, int) = nullptr;
  void* ctx_ = nullptr;
  int64_t n_ = 0, chunk_ = 1;
  /** Each thread's share of the current job's chunks: [next, end), next advanced by whoever takes one. */
  struct alignas(64) Range {
    std::atomic<int64_t> next{0};
    int64_t end = 0;
  };
  std::unique_ptr<Range[]> ranges_;
  bool open_ = false;          // chunks may still be handed out; guarded by m_
  std::atomic<int> joined_{0};  // workers inside the current job
  std::mutex errorMutex_;
  std::exception_ptr error_;
};

// ---- readback blocks: results handed to JS in huge-page regions ----
// A large result read into `new Float32Array` is fresh memory from the system, and first touching a
// 4 KiB page costs 10–40 µs in these VMs: reading conv A's 800 KB output took 2–5 ms, more than the
// convolution (V8 frees arrays only at a collection, every ~64 MB of them, so glibc never reuses
// them in time). Large reads instead return an external ArrayBuffer carved from a 2 MiB-aligned
// region marked MADV_HUGEPAGE (one fault maps 2 MiB: ~0.1 ms) and recycled once every block in it
// came back through V8's finalizers. Those finalizers run only when the event loop turns, so a
// synchronous loop of reads could lend without bound: past kMaxLent bytes out, reads use V8's own
// memory again. Reference-counted: finalizers may run after the context is disposed.
class ReadbackPool {
 public:
  static constexpr size_t kMinBytes = 64 * 1024;  // below this V8's own heap is as fast
  static constexpr size_t kRegion = kHugePage;    // one transparent huge page
  static constexpr size_t kMaxLent = 256u << 20;  // bytes out in JS arrays before reads fall back
  static constexpr size_t kMaxSpare = 64u << 20;  // empty regions kept for reuse

  struct Region {
    char* base;
    size_t size, used = 0;
    int live = 0;  // blocks lent from it
  };

  /** A block of `bytes` (rounded up to 64) and its region; null when too much is lent out or mmap fails. */
  float* take(size_t& bytes, Region** region) {
    bytes = (bytes + 63) / 64 * 64;
    std::lock_guard<std::mutex> g(m_);
    if (closed_ || lent_ + bytes > kMaxLent) return nullptr;
    Region* r = current_;
    if (!r || r->used + bytes > r->size) {
      r = spareOrMap(bytes);
      if (!r) return nullptr;
      if (bytes <= kRegion) {
        retire(current_);
        current_ = r;
      }
    }
    float* p = reinterpret_cast<float*>(r->base + r->used);
    r->used += bytes;
    r->live++;
    lent_ += bytes;
    *region = r;
    return p;
  }
  /** Takes back a block of `bytes` (as rounded by take) of region r. */
  void give(Region* r, size_t bytes) {
    std::lock_guard<std::mutex> g(m_);
    lent_ -= bytes;
    if (--r->live == 0 && r != current_) release(r);
  }
  /** Unmaps the spare regions; regions with blocks still lent to JS go when their last block returns. */
  void close() {
    std::lock_guard<std::mutex> g(m_);
    closed_ = true;
    Region* c = current_;
    current_ = nullptr;
    if (c && c->live == 0) release(c);
    for (Region* r : spare_) unmap(r);
    spare_.clear();
    spareBytes_ = 0;
  }
  /** Bytes of empty regions kept for reuse. */
  size_t spare() {
    std::lock_guard<std::mutex> g(m_);
    return spareBytes_;
  }
  ~ReadbackPool() {
    close();
  }

 private:
  static Region* map(size_t bytes) {
    const size_t size = (bytes + kRegion - 1) / kRegion * kRegion;
    char* base = mapHuge(size);
    return base ? new Region{base, size} : nullptr;
  }
  static void unmap(Region* r) {
    munmap(r->base, r->size);
    delete r;
  }
  /** A spare region for `bytes` (one page, or a large block's own region not much larger), else a new one. */
  Region* spareOrMap(size_t bytes) {
    const size_t want = bytes > kRegion ? (bytes + kRegion - 1) / kRegion * kRegion : kRegion;
    for (size_t i = spare_.size(); i-- > 0;) {
      Region* r = spare_[i];
      if (r->size < want || r->size > want + want / 2) continue;
      spare_.erase(spare_.begin() + i);
      spareBytes_ -= r->size;
      r->used = 0;
      return r;
    }
    return map(want);
  }
  /** The region stops being the one blocks are carved from. */
  void retire(Region* r) {
    if (r && r->live == 0) release(r);
  }
  /** An empty region: kept for reuse (up to kMaxSpare in all) or unmapped. */
  void release(Region* r) {
    if (!closed_ && spareBytes_ + r->size <= kMaxSpare) {
      spare_.push_back(r);
      spareBytes_ += r->size;
    } else {
      unmap(r);
    }
  }
  std::mutex m_;
  Region* current_ = nullptr;
  std::vector<Region*> spare_;
  size_t spareBytes_ = 0, lent_ = 0;
  bool closed_ = false;
};

/** What an external readback array's finalizer needs: its pool and region. */
struct Lent {
  std::shared_ptr<ReadbackPool> pool;
  ReadbackPool::Region* region;
  size_t bytes;
};

struct Packed {
  uint64_t key;
  int64_t floats;
  float* data;
};

struct Entry {
  float* data = nullptr;
  int64_t size = 0;
  size_t cls = 0;                                // pool class (0: adopted storage)
  Napi::Reference<Napi::Float32Array> adopted;   // the caller's array for adopted storage
  SharedBlock* shared = nullptr;                 // set once a view of the block was handed to JS
  std::vector<std::pair<Napi::Reference<Napi::ArrayBuffer>, Borrowed*>> borrowed;  // detached on free
  std::vector<Packed> packed;                    // packed forms of this tensor (weights), dropped on free
  uint64_t seq = 0;                              // the queued job that writes it (0: none); ready once completed
  bool freed = false;                            // freed while queued jobs may read it: dropped when they are done
  std::string error;                             // why the queued job that writes it failed
};

/** A kernel queued to run off the JS thread: its checked call, outputs already allocated and registered. */
struct Job {
  const KernelEntry* op;
  Call call;
  uint64_t seq;
  int64_t outIds[kMaxOutputs];
  bool ok = true;
  std::string err;
};


class Context : public Napi::ObjectWrap<Context> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Context",
                       {InstanceMethod("write", &Context::Write), InstanceMethod("adopt", &Context::Adopt),
                        InstanceMethod("read", &Context::Read),
                        InstanceMethod("readNew", &Context::ReadNew), InstanceMethod("readAsync", &Context::ReadAsync),
                        InstanceMethod("view", &Context::View), InstanceMethod("borrow", &Context::Borrow),
                        InstanceMethod("whenIdle", &Context::WhenIdle), InstanceMethod("free", &Context::Free),
                        InstanceMethod("exec", &Context::Exec), InstanceMethod("memory", &Context::Memory),
                        InstanceMethod("dispose", &Context::Dispose), InstanceMethod("info", &Context::Info),
                        InstanceMethod("liveCount", &Context::LiveCount)});
  }

  explicit Context(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Context>(info) {
    Napi::Env env = info.Env();
    int threads = 1;
    std::string isa = detectIsa();
    if (info.Length() >= 1 && info[0].IsNumber()) threads = info[0].As<Napi::Number>().Int32Value();
    if (threads < 1 || threads > 256) {
      Napi::RangeError::New(env, "threads must be an integer in [1, 256]").ThrowAsJavaScriptException();
      return;
    }
    if (info.Length() >= 2 && info[1].IsString()) {
      const std::string want = info[1].As<Napi::String>().Utf8Value();
      const std::string best = isa;
      const int rank = want == "avx512" ? 2 : want == "avx2" ? 1 : want == "base" ? 0 : -1;
      const int have = best == "avx512" ? 2 : best == "avx2" ? 1 : 0;
      if (rank < 0 || rank > have) {
        Napi::Error::New(env, "instruction set '" + want + "' is not available on this CPU (best: " + best + ")")
            .ThrowAsJavaScriptException();
        return;
      }
      isa = want;
    }
    isa_ = isa;
    const KernelEntry* const* fam = isa == "avx512" ? kFamilies_avx512 : isa == "avx2" ? kFamilies_avx2 : kFamilies_base;
    for (; *fam; fam++)
      for (const KernelEntry* e = *fam; e->name; e++) ops_.push_back(*e);
    if (info.Length() >= 3 && info[2].IsNumber()) asyncMinFlops_ = info[2].As<Napi::Number>().DoubleValue();
    if (!(asyncMinFlops_ >= 0)) {
      Napi::RangeError::New(env, "asyncMinFlops must be a number >= 0 (Infinity: never off the JS thread)").ThrowAsJavaScriptException();
      return;
    }
    for (const KernelEntry& e : ops_) {
      const std::string n = e.name;
      offThreadOp_.push_back(n == "conv2d" || n == "conv2dFused" || n == "conv2dBackpropInput" || n == "conv2dBackpropFilter");
    }
    pool_.reset(new ThreadPool(threads));
    scratch_.resize(threads);
    services_ = Services{&ScratchFor, &CacheFor, &Parallel, threads, this};
    self_ = std::make_shared<std::atomic<Context*>>(this);
    tsfn_ = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "hypercolumn-native", 0, 1);
    tsfn_.Unref(env);  // held only while jobs are queued
    // At exit Node runs cleanup hooks (newest first: this one before the thread-safe function's own)
    // before it finalizes objects: release the runner and the function while both are still valid.
    env_ = env;
    napi_add_env_cleanup_hook(env, &Context::AtExit, this);
  }

  ~Context() override {
    if (env_) napi_remove_env_cleanup_hook(env_, &Context::AtExit, this);
    Release(false);
  }

  static void AtExit(void* self) {
    Context* c = static_cast<Context*>(self);
    c->env_ = nullptr;  // the hook has run: nothing to remove
    c->Release(false);
  }

 private:
  // ---- services for kernels ----
  static float* ScratchFor(const Services* sv, int thread, int slot, int64_t floats) {
    Context* self = static_cast<Context*>(sv->owner);
    auto& slots = self->scratch_[thread];
    if ((int)slots.size() <= slot) slots.resize(slot + 1);
    auto& s = slots[slot];
    if (s.floats < floats) {
      std::free(s.data);
      const size_t bytes = ((size_t)floats * 4 + 63) / 64 * 64;
      s.data = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!s.data) throw std::bad_alloc();
      s.bytes = bytes;
      // Count each slot at its largest size times the thread count: which worker first needs a
      // slot depends on scheduling, and the held bytes must not look like growth when it changes.
      self->NoteScratch(slot, bytes);
      s.floats = floats;
    }
    return s.data;
  }
  void NoteScratch(int slot, size_t bytes) {
    std::lock_guard<std::mutex> g(scratchMutex_);
    if ((int)scratchMax_.size() <= slot) scratchMax_.resize(slot + 1, 0);
    if (bytes <= scratchMax_[slot]) return;
    scratchBytes_ += (bytes - scratchMax_[slot]) * scratch_.size();
    scratchMax_[slot] = bytes;
  }
  static float* CacheFor(Call& call, int input, uint64_t key, int64_t floats, bool* fresh) {
    Entry* e = static_cast<Entry*>(call.cacheCtx[input]);
    if (!e) return nullptr;
    Context* self = static_cast<Context*>(call.sv->owner);
    // the check pass on the JS thread packs; the queued run on the runner thread only finds
    std::lock_guard<std::mutex> g(self->cacheMutex_);
    for (auto& p : e->packed)
      if (p.key == key && p.floats == floats) {
        *fresh = false;
        return p.data;
      }
    // evict the oldest form only when no queued job may be reading it
    if (e->packed.size() >= 4 && self->completed_.load() == self->submitted_) {
      self->cacheBytes_ -= e->packed.front().floats * 4;
      std::free(e->packed.front().data);
      e->packed.erase(e->packed.begin());
    }
    float* d = static_cast<float*>(std::aligned_alloc(64, ((size_t)floats * 4 + 63) / 64 * 64));
    if (!d) throw std::bad_alloc();
    e->packed.push_back({key, floats, d});
    self->cacheBytes_ += floats * 4;
    *fresh = true;
    return d;
  }
  /**
   * Copies a result out to JS memory. Large copies are split over the pool when no queued job holds it
   * (a 6 MB batchNorm output takes ~0.15 ms on one core, as long as the kernel that made it); the
   * ranges may be the same array (reading adopted storage into itself), which memmove handles.
   */
  void CopyOut(void* dst, const void* src, size_t bytes) {
    constexpr size_t kMinSplit = 2u << 20, kBlock = 256u << 10;
    char* d = static_cast<char*>(dst);
    const char* s = static_cast<const char*>(src);
    const bool disjoint = d + bytes <= s || s + bytes <= d;
    if (!disjoint || bytes < kMinSplit || pool_->threads() <= 1 || completed_.load() != submitted_) {
      std::memmove(dst, src, bytes);
      return;
    }
    struct Span {
      char* d;
      const char* s;
      size_t bytes;
    } span{d, s, bytes};
    pool_->run((int64_t)((bytes + kBlock - 1) / kBlock), 1, [](void* ctx, int64_t b, int64_t e, int) {
      const Span& sp = *static_cast<const Span*>(ctx);
      const size_t lo = (size_t)b * kBlock, hi = std::min(sp.bytes, (size_t)e * kBlock);
      std::memcpy(sp.d + lo, sp.s + lo, hi - lo);
    }, &span);
  }
  static void Parallel(const Services* sv, int64_t n, int64_t grain, void (*fn)(void*, int64_t, int64_t, int), void* ctx) {
    static_cast<Context*>(sv->owner)->pool_->run(n, grain, fn, ctx);
  }

  void CheckAlive(Napi::Env env) {
    if (disposed_) throw Napi::Error::New(env, "native backend was disposed");
  }

  Entry* Lookup(Napi::Env env, double id) {
    auto it = entries_.find((int64_t)id);
    if (id != (double)(int64_t)id || it == entries_.end())
      throw Napi::Error::New(env, "tensor storage was freed or does not belong to this native backend");
    Entry* e = &it->second;
    if (e->freed) throw Napi::Error::New(env, "tensor storage was freed or does not belong to this native backend");
    if (!e->error.empty()) throw Napi::Error::New(env, e->error);
    if (!e->adopted.IsEmpty()) {
      // re-read the caller's array every time: a detached (transferred) buffer must not be touched
      Napi::Float32Array a = e->adopted.Value();
      if ((int64_t)a.ElementLength() != e->size)
        throw Napi::Error::New(env, "adopted Float32Array was detached or resized");
      e->data = a.Data();
    }
    return e;
  }

  float* Allocate(Napi::Env env, int64_t n, size_t* cls) {
    if (n < 1 || n > kMaxElements) throw Napi::RangeError::New(env, "tensor size out of range: " + std::to_string(n));
    float* p = buffers_->take((size_t)n * 4, cls);
    if (!p) throw Napi::Error::New(env, "out of memory allocating " + std::to_string(n * 4) + " bytes");
    return p;
  }

  double Register(Entry&& e) {
    const int64_t id = nextId_++;
    liveBytes_ += e.cls;
    entries_.emplace(id, std::move(e));
    return (double)id;
  }

  /**
   * Frees an entry's storage. `env` is set on calls from JS (free, dispose), where borrowed arrays
   * still alive are detached and their block references dropped now; without it (the collector, exit)
   * their finalizers drop them later.
   */
  void Drop(Entry& e, Napi::Env env) {
    for (auto& [array, b] : e.borrowed) {
      if (env && !b->released) {
        const Napi::Value v = array.Value();  // empty once the array was collected
        if (!v.IsEmpty() && napi_detach_arraybuffer(env, v) == napi_ok) b->release();
      }
      array.Reset();
      Borrowed::drop(b);
    }
    e.borrowed.clear();
    for (auto& p : e.packed) {
      cacheBytes_ -= p.floats * 4;
      std::free(p.data);
    }
    e.packed.clear();
    if (e.shared) {
      liveBytes_ -= e.cls;
      SharedBlock::release(e.shared);
      e.shared = nullptr;
    } else if (e.cls) {
      buffers_->give(e.data, e.cls);
      liveBytes_ -= e.cls;
    }
    e.adopted.Reset();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckAlive(env);
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "write expects a Float32Array");
    Napi::Float32Array a = info[0].As<Napi::Float32Array>();
    Entry e;
    e.size = (int64_t)a.ElementLength();
    e.data = Allocate(env, e.size, &e.cls);
    std::memcpy(e.data, a.Data(), (size_t)e.size * 4);
    return Napi::Number::New(env, Register(std::move(e)));
  }

  Napi::Value Adopt(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckAlive(env);
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "adopt expects a Float32Array");
    Napi::Float32Array a = info[0].As<Napi::Float32Array>();
    if (a.ElementLength() < 1) throw Napi::RangeError::New(env, "adopt expects a non-empty Float32Array");
    Entry e;
    e.size = (int64_t)a.ElementLength();
    e.data = a.Data();
    e.adopted = Napi::Persistent(a);
    return Napi::Number::New(env, Register(std::move(e)));
  }

  /** read(id, out: Float32Array of exactly the tensor's size). */
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckAlive(env);
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(env, "read expects (id, Float32Array)");
    Entry* e = Ready(env, info[0].As<Napi::Number>().DoubleValue());
    Napi::Float32Array out = info[1].As<Napi::Float32Array>();
    if ((int64_t)out.ElementLength() != e->size)
      throw Napi::RangeError::New(env, "read: output has " + std::to_string(out.ElementLength()) + " elements, tensor has " +
                                           std::to_string(e->size));
    CopyOut(out.Data(), e->data, (size_t)e->size * 4);
    return env.Undefined();
  }

  /** readNew(id): the tensor's values in a new Float32Array (large ones over a pooled readback block). */
  Napi::Value ReadNew(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckAlive(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "readNew expects an id");
    return NewArray(env, Ready(env, info[0].As<Napi::Number>().DoubleValue()));
  }

  /**
   * view(id): the tensor's own block as a Float32Array (tensor.data({copy: false})), kept from reuse
   * until the array is collected; a copy for results under 64 KiB, adopted storage, past kMaxViewed
   * bytes of viewed blocks, or where external buffers are refused.
   */
  Napi::Value View(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckAlive(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "view expects an id");
    Entry* e = Ready(env, info[0].As<Napi::Number>().DoubleValue());
    // small results are cheaper to copy than to lend (an external buffer and its finalizer per call)
    if (!e->cls || !externalBuffers_ || (size_t)e->size * 4 < ReadbackPool::kMinBytes ||
        (!e->shared && buffers_->viewed + e->cls > kMaxViewed))
      return NewArray(env, e);
    SharedBlock* block = ShareBlock(e);
    napi_value ab;
    if (External(env, e->data, (size_t)e->size * 4,
                 [](napi_env, void*, void* hint) { SharedBlock::release(static_cast<SharedBlock*>(hint)); }, block, &ab))
      return Napi::Float32Array::New(env, (size_t)e->size, Napi::ArrayBuffer(env, ab), 0);
    SharedBlock::release(block);  // the tensor's own reference remains
    return NewArray(env, e);
  }

  /** One more reference on e's block for an array lent to JS (the block is shared from now on). */
  SharedBlock* ShareBlock(Entry* e) {
    if (!e->shared) {
      e->shared = new SharedBlock{buffers_, e->data, e->cls, 1};
      buffers_->viewed += e->cls;
    }
    e->shared->refs++;
    return e->shared;
  }

  /**
   * An external ArrayBuffer over `bytes` at `data`, `finalize(hint)` run when it goes; false (and copies
   * into V8's own memory from now on) where the runtime refuses external buffers (a V8 sandbox).
   */
  bool External(Napi::Env env, void* data, size_t bytes, napi_finalize finalize, void* hint, napi_value* ab) {
    if (napi_create_external_arraybuffer(env, data, bytes, finalize, hint, ab) == napi_ok) return true;
    externalBuffers_ = false;
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    return false;
  }

  /**
   * borrow(id): the tensor's own block as a Float32Array (tensor.borrow()), detached when the tensor
   * is freed so the block is reused at once; a copy only for adopted storage or where external
   * buffers are refused. Small results are lent too, unlike view(): a copy takes a new V8 backing
   * store each call, and in these VMs its fresh pages fault at ~12 µs each (a loop reading a 16 KiB
   * result took 20 µs a call, and 100 µs in stretches where every copy faulted).
   */
  Napi::Value Borrow(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckAlive(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "borrow expects an id");
    Entry* e = Ready(env, info[0].As<Napi::Number>().DoubleValue());
    if (!e->cls || !externalBuffers_) return NewArray(env, e);
    Borrowed* b = new Borrowed{ShareBlock(e)};
    napi_value ab;
    const bool lent = External(env, e->data, (size_t)e->size * 4,
                               [](napi_env, void*, void* hint) {
                                 Borrowed* b = static_cast<Borrowed*>(hint);
                                 b->release();
                                 Borrowed::drop(b);
                               },
                               b, &ab);
    if (!lent) {
      SharedBlock::release(b->block);  // the tensor's own reference remains
      delete b;
      return NewArray(env, e);
    }
    Napi::ArrayBuffer array(env, ab);
    e->borrowed.emplace_back(Napi::Weak(array), b);
    return Napi::Float32Array::New(env, (size_t)e->size, array, 0);
  }

  /** The values of `e` in a new Float32Array (large ones over a pooled readback block). */
  Napi::Value NewArray(Napi::Env env, Entry* e) {
    const size_t bytes = (size_t)e->size * 4;
    ReadbackPool::Region* region = nullptr;
    size_t blockBytes = bytes;
    float* block = bytes >= ReadbackPool::kMinBytes && externalBuffers_ ? readback_->take(blockBytes, &region) : nullptr;
    if (block) {
      CopyOut(block, e->data, bytes);
      Lent* lent = new Lent{readback_, region, blockBytes};
      napi_value ab;
      const bool lentOut = External(env, block, bytes,
                                    [](napi_env, void*, void* hint) {
                                      Lent* l = static_cast<Lent*>(hint);
                                      l->pool->give(l->region, l->bytes);
                                      delete l;
                                    },
                                    lent, &ab);
      if (lentOut) return Napi::Float32Array::New(env, (size_t)e->size, Napi::ArrayBuffer(env, ab), 0);
      readback_->give(region, blockBytes);
      delete lent;
    }
    Napi::Float32Array out = Napi::Float32Array::New(env, (size_t)e->size);
    CopyOut(out.Data(), e->data, bytes);
    return out;
  }

  Napi::Value Free(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (disposed_) return env.Undefined();
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "free expects an id");
    const double id = info[0].As<Napi::Number>().DoubleValue();
    Settle(env);
    auto it = entries_.find((int64_t)id);
    if (id != (double)(int64_t)id || it == entries_.end() || it->second.freed)
      throw Napi::Error::New(env, "free: tensor storage was already freed or does not belong to this native backend");
    if (completed_.load() != submitted_) {
      // a queued job may read it: keep the storage until the queue is done
      it->second.freed = true;
      pendingFrees_.push_back(it->first);
      return env.Undefined();
    }
    Drop(it->second, env);
    entries_.erase(it);
    return env.Undefined();
  }

  // ---- the off-JS-thread queue ----
  // Large convolutions (≥ asyncMinFlops) are checked on the JS thread, then queued to one runner
  // thread, which drives the pool as its thread 0; exec returns their output ids at once. Any other
  // kernel waits for the queue to drain and runs inline, so the pool and the scratch buffers are
  // never used from two threads at once. Reads of a queued output wait (readSync, readInto) or
  // resolve when its job completes (readAsync); frees of storage a queued job may read are deferred.

  /** Processes completed jobs on the JS thread: failed outputs, pending reads, deferred frees. */
  void Settle(Napi::Env env, bool resolve = true) {
    if (settled_ == submitted_) return;
    std::vector<std::unique_ptr<Job>> done;
    {
      std::lock_guard<std::mutex> g(qm_);
      done.swap(finished_);
    }
    for (auto& j : done) {
      if (!j->ok)
        for (int i = 0; i < j->call.nOut; i++) {
          auto it = entries_.find(j->outIds[i]);
          if (it != entries_.end()) it->second.error = j->err;
        }
      settled_ = j->seq;
    }
    if (resolve && !pendingReads_.empty()) {
      std::vector<PendingRead> waiting;
      waiting.swap(pendingReads_);
      for (auto& r : waiting) {
        if (r.seq > settled_) {
          pendingReads_.push_back(std::move(r));
          continue;
        }
        if (r.id < 0) {
          r.deferred.Resolve(env.Undefined());
          continue;
        }
        auto it = entries_.find(r.id);
        if (it == entries_.end()) {
          r.deferred.Reject(Napi::Error::New(env, "tensor storage was freed or does not belong to this native backend").Value());
        } else if (!it->second.error.empty()) {
          r.deferred.Reject(Napi::Error::New(env, it->second.error).Value());
        } else {
          try {
            r.deferred.Resolve(NewArray(env, &it->second));
          } catch (const Napi::Error& e) {
            r.deferred.Reject(e.Value());
          }
        }
      }
    }
    if (settled_ == submitted_) {
      for (int64_t id : pendingFrees_) {
        auto it = entries_.find(id);
        if (it == entries_.end()) continue;
        Drop(it->second, env);
        entries_.erase(it);
      }
      pendingFrees_.clear();
      if (tsfnHeld_) {
        tsfn_.Unref(env);
        tsfnHeld_ = false;
      }
    }
  }

  /** Blocks the JS thread until job `seq` has completed (spinning briefly first), then settles. */
  void WaitFor(Napi::Env env, uint64_t seq) {
    if (completed_.load() < seq) {
      for (int i = 0; i < ThreadPool::kSpin && completed_.load() < seq; i++) cpuRelax();
      if (completed_.load() < seq) {
        std::unique_lock<std::mutex> lk(qm_);
        doneCv_.wait(lk, [&] { return completed_.load() >= seq; });
      }
    }
    Settle(env);
  }

  /** Lookup for reading: waits for the job that writes the tensor. */
  Entry* Ready(Napi::Env env, double id) {
    Settle(env);
    Entry* e = Lookup(env, id);
    if (e->seq > completed_.load()) {
      WaitFor(env, e->seq);
      e = Lookup(env, id);  // its job may have failed
    }
    return e;
  }

  void RunnerLoop() {
    bool failing = false;  // a job failed: the rest of the queue may read its outputs, so it fails too
    std::string failure;
    for (;;) {
      std::unique_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lk(qm_);
        qcv_.wait(lk, [this] { return stopRunner_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      if (failing) {
        job->ok = false;
        job->err = std::string(job->op->name) + ": not run, an earlier queued kernel failed (" + failure + ")";
      } else {
        try {
          job->ok = job->op->fn(job->call);
          if (!job->ok) job->err = job->call.err[0] ? job->call.err : job->op->name;
        } catch (const std::bad_alloc&) {
          job->ok = false;
          job->err = std::string(job->op->name) + ": out of memory";
        } catch (const std::exception& e) {
          job->ok = false;
          job->err = std::string(job->op->name) + ": " + e.what();
        } catch (...) {
          job->ok = false;
          job->err = std::string(job->op->name) + ": internal error";
        }
        if (!job->ok) failing = true, failure = job->err;
      }
      const uint64_t seq = job->seq;
      bool idle;
      {
        std::lock_guard<std::mutex> g(qm_);
        finished_.push_back(std::move(job));
        completed_.store(seq);
        idle = queue_.empty();
      }
      if (idle) failing = false;
      doneCv_.notify_all();
      auto* alive = new std::shared_ptr<std::atomic<Context*>>(self_);
      if (tsfn_.NonBlockingCall(alive, [](Napi::Env env, Napi::Function, std::shared_ptr<std::atomic<Context*>>* a) {
            Context* self = a->get()->load();
            delete a;
            if (env != nullptr && self != nullptr) self->Settle(env);
          }) != napi_ok)
        delete alive;
    }
  }

  /** Queues a checked call; its outputs are registered by the caller with this job's sequence number. */
  uint64_t Enqueue(Napi::Env env, const KernelEntry& op, const Call& call) {
    if (!runner_.joinable()) runner_ = std::thread([this] { RunnerLoop(); });
    if (!tsfnHeld_) {
      tsfn_.Ref(env);  // keep the process alive until the queue is done
      tsfnHeld_ = true;
    }
    std::unique_ptr<Job> job(new Job);
    job->op = &op;
    job->call = call;
    job->seq = ++submitted_;
    const uint64_t seq = job->seq;
    pendingJob_ = job.get();
    {
      std::lock_guard<std::mutex> g(qm_);
      queue_.push_back(std::move(job));
    }
    return seq;
  }

  /** readAsync(id): undefined when the tensor is ready (read it with readNew), else a Promise of its values. */
  Napi::Value ReadAsync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckAlive(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "readAsync expects an id");
    Settle(env);
    const double id = info[0].As<Napi::Number>().DoubleValue();
    Entry* e = Lookup(env, id);
    if (e->seq <= settled_) return env.Undefined();
    Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
    pendingReads_.push_back({d, (int64_t)id, e->seq});
    return d.Promise();
  }

  /** whenIdle(): undefined when no job is queued, else a Promise resolved once every queued job is done. */
  Napi::Value WhenIdle(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (disposed_) return env.Undefined();
    Settle(env);
    if (settled_ == submitted_) return env.Undefined();
    Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
    pendingReads_.push_back({d, -1, submitted_});
    return d.Promise();
  }

  /**
   * exec(op, args: Float64Array, outIds: Float64Array). args: nIn, then per input id (−1: absent), rank,
   * dims…; nOut, then per output rank, dims…; nAttr, attrs…  Output ids are written to outIds.
   */
  Napi::Value Exec(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CheckAlive(env);
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsTypedArray() || !info[2].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw Napi::TypeError::New(env, "exec expects (op, Float64Array, Float64Array)");
    const double opd = info[0].As<Napi::Number>().DoubleValue();
    if (!(opd >= 0 && opd < (double)ops_.size()) || opd != (double)(int64_t)opd)
      throw Napi::RangeError::New(env, "exec: unknown kernel index");
    const KernelEntry& op = ops_[(size_t)opd];
    Napi::Float64Array argsArr = info[1].As<Napi::Float64Array>();
    Napi::Float64Array outIds = info[2].As<Napi::Float64Array>();
    const double* a = argsArr.Data();
    const size_t len = argsArr.ElementLength();
    size_t pos = 0;
    auto next = [&](const char* what) -> double {
      if (pos >= len) throw Napi::RangeError::New(env, std::string(op.name) + ": argument list ends before " + what);
      return a[pos++];
    };
    auto count = [&](const char* what, int64_t lo, int64_t hi) -> int64_t {
      const double v = next(what);
      if (!(v >= (double)lo && v <= (double)hi) || v != (double)(int64_t)v)
        throw Napi::RangeError::New(env, std::string(op.name) + ": " + what + " must be an integer in [" +
                                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
      return (int64_t)v;
    };
    auto readShape = [&](Tensor& t) {
      t.rank = (int)count("rank", 0, kMaxRank);
      int64_t n = 1;
      for (int d = 0; d < t.rank; d++) {
        t.shape[d] = count("dimension", 1, kMaxElements);
        n *= t.shape[d];
        if (n > kMaxElements) throw Napi::RangeError::New(env, std::string(op.name) + ": shape too large");
      }
      return n;
    };

    Call call;
    std::memset(&call, 0, sizeof call);
    call.nIn = (int)count("input count", 0, kMaxInputs);
    for (int i = 0; i < call.nIn; i++) {
      const double id = next("input id");
      Tensor& t = call.in[i];
      const int64_t n = readShape(t);
      if (id == -1) {
        if (t.rank != 0) throw Napi::RangeError::New(env, std::string(op.name) + ": an absent input has rank 0");
        continue;
      }
      Entry* e = Lookup(env, id);
      if (e->size != n)
        throw Napi::RangeError::New(env, std::string(op.name) + ": input " + std::to_string(i) + " holds " +
                                             std::to_string(e->size) + " elements, its shape says " + std::to_string(n));
      t.data = e->data;
      t.size = n;
      call.cacheCtx[i] = e;
    }
    call.nOut = (int)count("output count", 1, kMaxOutputs);
    if ((int64_t)outIds.ElementLength() < call.nOut) throw Napi::RangeError::New(env, std::string(op.name) + ": outIds too short");
    for (int i = 0; i < call.nOut; i++) call.out[i].size = readShape(call.out[i]);
    call.nAttr = (int)count("attribute count", 0, kMaxAttrs);
    for (int i = 0; i < call.nAttr; i++) call.attr[i] = next("attribute");
    if (pos != len) throw Napi::RangeError::New(env, std::string(op.name) + ": trailing arguments");

    const size_t opIndex = (size_t)opd;
    const bool offThread = offThreadOp_[opIndex] && call.nAttr >= 18 && ConvFlops(call.attr) >= asyncMinFlops_;
    // inline kernels run once the queue is empty: the pool and scratch have one driver at a time
    if (!offThread && completed_.load() != submitted_) WaitFor(env, submitted_);
    Settle(env);
    for (int i = 0; i < call.nIn; i++) {
      const Entry* e = static_cast<const Entry*>(call.cacheCtx[i]);
      if (e && !e->error.empty()) throw Napi::Error::New(env, e->error);  // its queued job failed since the lookup
    }

    Entry outs[kMaxOutputs];
    int made = 0;
    auto release = [&] {
      for (int i = 0; i < made; i++) buffers_->give(outs[i].data, outs[i].cls);
    };
    try {
      for (; made < call.nOut; made++) {
        outs[made].size = call.out[made].size;
        outs[made].data = Allocate(env, outs[made].size, &outs[made].cls);
        call.out[made].data = outs[made].data;
      }
      call.sv = &services_;
      call.checkOnly = offThread;
      const bool ok = op.fn(call);
      if (!ok) throw Napi::Error::New(env, call.err[0] ? call.err : op.name);
      call.checkOnly = false;
    } catch (const std::bad_alloc&) {
      release();
      throw Napi::Error::New(env, std::string(op.name) + ": out of memory");
    } catch (const Napi::Error&) {
      release();
      throw;
    } catch (const std::exception& e) {
      release();
      throw Napi::Error::New(env, std::string(op.name) + ": " + e.what());
    } catch (...) {
      release();
      throw Napi::Error::New(env, std::string(op.name) + ": internal error");
    }
    double* ids = outIds.Data();
    uint64_t seq = 0;
    if (offThread) seq = Enqueue(env, op, call);
    for (int i = 0; i < call.nOut; i++) {
      outs[i].seq = seq;
      ids[i] = Register(std::move(outs[i]));
      if (offThread) pendingJob_->outIds[i] = (int64_t)ids[i];
    }
    if (offThread) {
      qcv_.notify_one();  // the job's output ids are filled in: let the runner take it
      pendingJob_ = nullptr;
    }
    return env.Undefined();
  }

  /** Multiply-adds ×2 of a convolution from its attributes [N, C, H, W, O, G, kh, kw, …, OH, OW]. */
  static double ConvFlops(const double* a) {
    return a[5] >= 1 ? 2.0 * a[0] * a[4] * a[16] * a[17] * (a[1] / a[5]) * a[6] * a[7] : 0.0;
  }

  Napi::Value Memory(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", Napi::Number::New(env, (double)(buffers_->held() + cacheBytes_ + scratchBytes_.load())));
    // Readback regions come back when the GC collects the arrays they were lent to, so their count
    // moves with GC timing: reported apart from `bytes` (the leak checks' figure), capped at kMaxSpare.
    o.Set("readbackBytes", Napi::Number::New(env, (double)(disposed_ ? 0 : readback_->spare())));
    o.Set("viewBytes", Napi::Number::New(env, (double)buffers_->viewed));
    o.Set("liveBytes", Napi::Number::New(env, (double)liveBytes_));
    o.Set("cacheBytes", Napi::Number::New(env, (double)cacheBytes_.load()));
    o.Set("scratchBytes", Napi::Number::New(env, (double)scratchBytes_.load()));
    return o;
  }

  Napi::Value LiveCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), (double)(entries_.size() - pendingFrees_.size()));
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("isa", isa_);
    o.Set("threads", pool_ ? pool_->threads() : 0);
    Napi::Array names = Napi::Array::New(env, ops_.size());
    for (size_t i = 0; i < ops_.size(); i++) names.Set((uint32_t)i, ops_[i].name);
    o.Set("kernels", names);
    return o;
  }

  /** Finishes the queue, then frees everything; `env` (dispose, not GC) settles pending reads first. */
  void Release(bool fromJs, Napi::Env env = Napi::Env(nullptr)) {
    if (disposed_) return;
    if (runner_.joinable()) {
      {
        std::lock_guard<std::mutex> g(qm_);
        stopRunner_ = true;
      }
      qcv_.notify_all();
      runner_.join();  // the runner drains the queue before it stops
    }
    if (fromJs) Settle(env);
    pendingReads_.clear();
    if (self_) self_->store(nullptr);  // completion calls still in flight find no context
    if (tsfn_) tsfn_.Release();
    disposed_ = true;
    for (auto& kv : entries_) Drop(kv.second, fromJs ? env : Napi::Env(nullptr));
    entries_.clear();
    buffers_->close();
    readback_->close();
    pool_.reset();
    for (auto& slots : scratch_)
      for (auto& s : slots) std::free(s.data);
    scratch_.clear();
    scratchMax_.clear();
    scratchBytes_ = 0;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    Release(true, info.Env());
    return info.Env().Undefined();
  }

  struct Scratch {
    float* data = nullptr;
    int64_t floats = 0;
    size_t bytes = 0;
  };

  std::string isa_;
  std::vector<KernelEntry> ops_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<std::vector<Scratch>> scratch_;
  Services services_{};
  std::shared_ptr<BufferPool> buffers_ = std::make_shared<BufferPool>();
  std::shared_ptr<ReadbackPool> readback_ = std::make_shared<ReadbackPool>();
  bool externalBuffers_ = true;
  // Views are returned to the pool by V8's finalizers, which run only when the event loop turns: past
  // this many bytes of viewed blocks (a synchronous loop of views), views are copies.
  static constexpr size_t kMaxViewed = 256u << 20;
  std::unordered_map<int64_t, Entry> entries_;
  int64_t nextId_ = 1;
  size_t liveBytes_ = 0;
  std::atomic<size_t> cacheBytes_{0};
  std::atomic<size_t> scratchBytes_{0};
  std::mutex scratchMutex_;
  std::vector<size_t> scratchMax_;  // largest size of each scratch slot on any thread
  bool disposed_ = false;

  // the off-JS-thread queue (see Settle)
  struct PendingRead {
    Napi::Promise::Deferred deferred;
    int64_t id;    // −1: whenIdle
    uint64_t seq;  // resolved once this job has completed
  };
  double asyncMinFlops_ = 4e9;  // the JS side passes its default
  std::vector<bool> offThreadOp_;
  std::thread runner_;
  std::mutex qm_;                                   // guards queue_, finished_, stopRunner_
  std::condition_variable qcv_, doneCv_;
  std::deque<std::unique_ptr<Job>> queue_;
  std::vector<std::unique_ptr<Job>> finished_;      // completed, not yet settled on the JS thread
  bool stopRunner_ = false;
  uint64_t submitted_ = 0, settled_ = 0;            // JS thread
  std::atomic<uint64_t> completed_{0};
  Job* pendingJob_ = nullptr;
  std::vector<PendingRead> pendingReads_;
  std::vector<int64_t> pendingFrees_;
  std::mutex cacheMutex_;
  Napi::ThreadSafeFunction tsfn_;
  bool tsfnHeld_ = false;
  std::shared_ptr<std::atomic<Context*>> self_;
  napi_env env_ = nullptr;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Context", Context::Define(env));
  exports.Set("bestIsa", Napi::String::New(env, detectIsa()));
  return exports;
}

}  // namespace
}  // namespace hc

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return hc::Init(env, exports); }
NODE_API_MODULE(hypercolumn_native, InitModule)
