import { readdirSync, readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Workload } from './workloads.js';
import { convOutShape, prod } from './workloads.js';
import { rng as seededRandom } from '@hypercolumn/conformance-core';
import { randomArray } from './stats.js';

/** A float32 array with its NCHW (or [N, C, L], OIHW, …) shape. */
export interface BenchArray {
  data: Float32Array;
  shape: number[];
}

/**
 * Inputs of one workload, generated once (seeded) and handed to every runner, in PyTorch layout:
 * x / dy NCHW (conv1d NCL), w OIHW (OIK); per-channel `mean`, `variance` (positive), `scale`,
 * `offset` for batch norm; `weight`, `bias` for instance / group norm ([C]) and layer norm ([C, H, W]).
 */
export type BenchInputs = Record<string, BenchArray>;

/** One workload ready to run on one runner: every untimed set-up (upload, layout, session) is done. */
export interface PreparedRun {
  /**
   * One timed run, data readback included. Resolves to the (first) output's values, in the runner's
   * own layout (TensorFlow.js: channels-last, filters HWIO): the benchmark ignores them, tests
   * compare them to check every runner computes the same thing.
   */
  run(): unknown | Promise<unknown>;
  /** Releases what `prepare` made; a run's outputs are released by the next run (or here). */
  dispose(): void | Promise<void>;
  /**
   * Milliseconds of the first call, made by `prepare` (one-time work included: shader pipeline
   * compilation on webgpu, weight packing): the warm-up cost, reported beside the steady median.
   */
  firstMs?: number;
  /** Runners that time themselves elsewhere (a worker thread) provide the whole timing loop. */
  measure?(options: MeasureOptions): Promise<number[]>;
}

export interface BenchRunner {
  /** "hypercolumn:cpu", "tfjs-wasm", "onnxruntime-node", … */
  readonly name: string;
  readonly threads: number;
  /**
   * The backend's measured arithmetic ceiling at its threads (GFLOP/s), when it offers a probe
   * (`peakGflops()` on the backend object); known after `init`. Conv rows then show % of peak.
   */
  readonly peakGflops?: number;
  /** What exactly runs, known after `init` (versions, build), for the report: "torch 1.13.0, oneDNN available". */
  describe?(): string | undefined;
  /** Starts the runner; resolves to a reason when it cannot run at all here. */
  init(): Promise<string | undefined>;
  /** Prepares a workload, or resolves to the reason this runner cannot run it (`skipped`). */
  prepare(workload: Workload, inputs: BenchInputs): Promise<PreparedRun | string>;
  close?(): Promise<void>;
}

export interface MeasureOptions {
  /** Untimed runs first (at least one; fewer when they pass `warmupMaxMs`). */
  warmup: number;
  /** Stop warming up once this much time went by (slow peers: one multi-second run is warm enough). */
  warmupMaxMs?: number;
  /**
   * Untimed runs go on until this much time has passed (a 20 µs kernel's 3 warm-up runs after the
   * 100 ms settle left the core still waking up for its timed runs).
   */
  warmupMinMs?: number;
  minRuns: number;
  maxRuns: number;
  /** Keep running (up to maxRuns) until this much time was spent on timed runs. */
  minTimeMs: number;
  /**
   * Time budget of one measurement: when the first warm-up run shows that `minRuns` runs would
   * take longer, fewer runs are timed (at least 3), and a run longer than a third of the budget is
   * not repeated at all: that first run is the measurement (`runs: 1`). Only multi-second runs hit
   * it (TensorFlow.js cpu's filter gradient for conv2d A takes over a minute a run).
   */
  budgetMs?: number;
  /**
   * Idle milliseconds before a multi-threaded runner's measurement, and before any measurement right
   * after one: the previous runner's worker threads may still be spinning (onnxruntime-web's do for a while after a run) and would take the
   * cores from this one (conv1d at 2 threads measured 6.5 ms alone, 11 ms right after onnxruntime-web).
   * Where Linux shows this process's threads, every measurement also waits, up to `settleMaxMs`, until
   * they are idle (see `settleThreads`).
   */
  settleMs?: number;
  /** The longest wait for this process's other threads to go idle before a measurement (default 3000). */
  settleMaxMs?: number;
  /**
   * Rounds per workload: every runner is measured once per round, each time for its share of the
   * runs and time, and its runs are pooled. These VMs share their host: its load comes and goes over
   * seconds to minutes (conv A at 2 threads took 0.54 ms one minute and 1.0 ms the next, with nothing
   * else running here), and a runner measured in one stretch and its peer in another got a ratio that
   * said more about the stretches than about them. Runners whose runs last over `SLOW_RUN_MS` take one round (a round would cost them more warm-up than its share of runs).
   */
  rounds?: number;
}

/** A runner whose runs take longer than this is measured in one round (see `rounds`). */
export const SLOW_RUN_MS = 250;

/** One round's share of `options`' runs and time. */
export function roundShare(options: MeasureOptions): MeasureOptions {
  const rounds = options.rounds ?? 1;
  if (rounds <= 1) return options;
  return { ...options, minRuns: Math.ceil(options.minRuns / rounds), maxRuns: Math.ceil(options.maxRuns / rounds), minTimeMs: options.minTimeMs / rounds };
}

/** What is left of `options` after `times` were measured with one round's share (no warm-up again). */
export function remainder(options: MeasureOptions, times: readonly number[]): MeasureOptions {
  const spent = times.reduce((a, b) => a + b, 0);
  return {
    ...options, warmup: 0, warmupMinMs: 0, rounds: 1,
    minRuns: Math.max(0, options.minRuns - times.length), maxRuns: Math.max(0, options.maxRuns - times.length), minTimeMs: Math.max(0, options.minTimeMs - spent),
  };
}

export const MEASURE: Record<'quick' | 'full', MeasureOptions> = {
  // 20 ms of warm-up and up to 40 runs: with 1 warm-up run and 7 timed ones, a 20 µs pool's median was
  // still its cold runs' (80 µs against 20 in the full benchmark), and so was PyTorch's. The settle as
  // in full: PyTorch's 2-thread pool right after onnxruntime-web's took 8 ms a run instead of 0.035.
  quick: { warmup: 1, warmupMinMs: 20, minRuns: 3, maxRuns: 40, minTimeMs: 100, settleMs: 100 },
  // maxRuns 200: a 0.3 ms workload's 40 runs lasted 12 ms, and one 70 ms burst of another process's
  // threads (a peer's spinning pool, V8's sweepers) on both cores set its median at a 4 ms scheduler tick
  full: { warmup: 3, warmupMinMs: 50, warmupMaxMs: 1000, minRuns: 10, maxRuns: 200, minTimeMs: 1500, budgetMs: 40_000, settleMs: 100, rounds: 3 },
};

/**
 * A full garbage collection, run before every (workload, runner) measurement: each runner's result
 * arrays (up to 25.7 MB a run) are garbage once read, and without it the previous runner's are
 * collected, and their memory returned to the allocator, on the next runner's time. Exposed from
 * inside the process (`--expose-gc` set at run time); a no-op where the flag cannot be set.
 */
export function collectGarbage(): void {
  gc ??= exposeGc();
  gc();
}
let gc: (() => void) | undefined;

/** V8's `gc`, exposed on first use rather than whenever this module is imported. */
function exposeGc(): () => void {
  try {
    v8.setFlagsFromString('--expose-gc');
    const found = vm.runInNewContext('gc') as unknown;
    if (typeof found === 'function') return () => void (found as () => void)();
  } catch {
    // not exposable here: measurements still run, without the collection in between
  }
  return () => undefined;
}

/**
 * Puts the C allocator in its steady state before the first measurement: glibc serves big blocks with
 * fresh mmap pages (a fault per 4 KiB, ~12 µs each in these VMs: 2.4 ms to read 800 KB back) until it
 * has freed an mmapped block at least as big, and from its reusable heap after. Freeing one 30 MB
 * array does that for every later read (conv B's 25.7 MB output did it only from the second workload on).
 */
export function settleAllocator(): void {
  let block: Uint8Array | null = new Uint8Array(30 << 20);
  block[block.length - 1] = 1;
  block = null;
  collectGarbage();
}

/** This process's thread ids (Linux's /proc/self/task); undefined where they cannot be listed. */
function threadIds(): string[] | undefined {
  try {
    return readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
}

/**
 * Node's and V8's own threads (the optimizing compiler's and the collector's helpers), listed when this
 * module loads, before any runner has started threads of its own.
 */
const runtimeThreads = new Set(threadIds() ?? []);

/**
 * CPU nanoseconds run so far by this process's threads other than the main one, or by those of them in
 * `only` (Linux's /proc/self/task/<tid>/schedstat); undefined where that cannot be read.
 */
export function otherThreadsCpuNs(only?: ReadonlySet<string>): number | undefined {
  const tasks = threadIds();
  if (!tasks) return undefined;
  const main = String(process.pid);
  let ns = 0;
  for (const tid of tasks) {
    if (tid === main || (only && !only.has(tid))) continue;
    try {
      ns += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) || 0;
    } catch {
      // the thread exited since the listing
    }
  }
  return ns;
}

/** What `settleThreads` and the warm-up watch, and how they wait: injectable for tests. */
export interface SettleProbe {
  /** CPU ns of the process's threads but the main one. */
  cpuNs: () => number | undefined;
  /** CPU ns of Node's and V8's own threads but the main one. */
  runtimeCpuNs: () => number | undefined;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}
const realProbe: SettleProbe = {
  cpuNs: () => otherThreadsCpuNs(),
  runtimeCpuNs: () => otherThreadsCpuNs(runtimeThreads),
  sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
  now: () => performance.now(),
};

/** Sampling window of `settleThreads`, and the share of one core its threads may use in it. */
export const SETTLE_WINDOW_MS = 20;
export const SETTLE_BUSY_SHARE = 0.1;

/**
 * Waits `minMs`, then until this process's other threads used under a tenth of a core over a 20 ms
 * window, or until `maxMs` in all; returns the milliseconds waited. Those threads belong to the
 * runners (onnxruntime-web's background work took one core's worth for over a second after its first
 * workload, through PyTorch's and native's measurements; a peer's pool may spin after its runs) or to V8 (sweeping after the collection before each measurement), and
 * whatever they take is taken from the runner being timed, whose own threads are idle between runs.
 * Without the per-thread counts (not Linux) it waits `minMs` only.
 */
export async function settleThreads(minMs: number, maxMs: number, probe: SettleProbe = realProbe): Promise<number> {
  const start = probe.now();
  if (minMs > 0) await probe.sleep(minMs);
  let before = probe.cpuNs();
  if (before === undefined) return probe.now() - start;
  while (probe.now() - start < maxMs) {
    const t0 = probe.now();
    await probe.sleep(SETTLE_WINDOW_MS);
    const after = probe.cpuNs();
    if (after === undefined) break;
    const busyMs = (after - before) / 1e6;
    before = after;
    if (busyMs < SETTLE_BUSY_SHARE * (probe.now() - t0)) break;
  }
  return probe.now() - start;
}

/**
 * Runs `warmup` untimed runs, then timed runs; returns every run's milliseconds. Where `settleMs` is
 * set, the warm-up ends only once V8's background threads are idle.
 */
export async function measure(prepared: PreparedRun, options: MeasureOptions, now: () => number = () => performance.now(), probe: SettleProbe = realProbe): Promise<number[]> {
  const warmStart = now();
  let firstRunMs: number | undefined;
  let lastRunMs = 0;
  for (let i = 0; i < options.warmup || (options.warmupMinMs !== undefined && now() - warmStart < options.warmupMinMs); i++) {
    const t0 = now();
    await prepared.run();
    lastRunMs = now() - t0;
    firstRunMs ??= now() - warmStart;
    if (options.warmupMaxMs !== undefined && now() - warmStart >= options.warmupMaxMs) break;
  }
  if (options.budgetMs !== undefined && firstRunMs !== undefined && firstRunMs * 3 > options.budgetMs) return [firstRunMs];
  // The warm-up makes a runner's JavaScript hot, and V8 then optimizes it on a background thread: 30–50 ms
  // for the hypercolumn runner's `run`, again in every round, as code optimized around the previous
  // round's objects is dropped once the collection frees them. That compile took the second core from
  // the 2-thread runs it overlapped (group norm backward: median 0.34 ms, best 0.15). So the warm-up
  // goes on, up to warmupMaxMs more, until V8's threads stay under a tenth of a core over a window.
  if (options.settleMs !== undefined && lastRunMs < SLOW_RUN_MS) {
    const until = now() + (options.warmupMaxMs ?? 1000);
    let before = probe.runtimeCpuNs();
    let windowStart = now();
    while (before !== undefined && now() < until) {
      await prepared.run();
      const elapsed = now() - windowStart;
      if (elapsed < SETTLE_WINDOW_MS) continue;
      const after = probe.runtimeCpuNs();
      if (after === undefined || (after - before) / 1e6 < SETTLE_BUSY_SHARE * elapsed) break;
      before = after;
      windowStart = now();
    }
  }
  let minRuns = options.minRuns;
  if (options.budgetMs !== undefined && firstRunMs !== undefined && firstRunMs * minRuns > options.budgetMs) {
    minRuns = Math.min(minRuns, Math.max(3, Math.floor(options.budgetMs / firstRunMs)));
  }
  const times: number[] = [];
  let spent = 0;
  while (times.length < minRuns || (spent < options.minTimeMs && times.length < options.maxRuns)) {
    const t0 = now();
    await prepared.run();
    const dt = now() - t0;
    times.push(dt);
    spent += dt;
  }
  return times;
}

/** The inputs of `workload` (seeded; identical for every runner). */
export function makeInputs(workload: Workload, seed = 1234): BenchInputs {
  const rand = seededRandom(seed);
  const arr = (shape: number[], lo = -1, hi = 1): BenchArray => ({ data: randomArray(prod(shape), rand, lo, hi), shape });
  const s = workload.spec;
  switch (s.type) {
    case 'conv': {
      const y = convOutShape(s);
      if (s.pass === 'forward') return { x: arr(s.x), w: arr(s.w) };
      if (s.pass === 'backpropInput') return { dy: arr(y), w: arr(s.w) };
      return { x: arr(s.x), dy: arr(y) };
    }
    case 'maxPool2d':
    case 'avgPool2d':
    case 'globalAvgPool':
      return { x: arr(s.x) };
    case 'norm': {
      const c = s.x[1];
      const inputs: BenchInputs = { x: arr(s.x) };
      if (s.pass === 'backward') inputs.dy = arr(s.x);
      if (s.norm === 'batchNorm') {
        Object.assign(inputs, { mean: arr([c], -0.1, 0.1), variance: arr([c], 0.5, 1.5), scale: arr([c], 0.5, 1.5), offset: arr([c]) });
      } else {
        const p = s.norm === 'layerNorm' ? s.x.slice(1) : [c];
        Object.assign(inputs, { weight: arr(p, 0.5, 1.5), bias: arr(p) });
      }
      return inputs;
    }
    case 'train':
      // images, and class labels 0…9 (as floats, like every input here)
      return { x: arr([s.batch, 1, 28, 28]), labels: { data: Float32Array.from({ length: s.batch }, () => Math.floor(10 * rand())), shape: [s.batch] } };
  }
}

/** [outer][a][b] → [outer][b][a]: each outer block transposed. */
function swapInnerAxes(src: ArrayLike<number>, outer: number, a: number, b: number): Float32Array {
  const out = new Float32Array(outer * a * b);
  for (let o = 0; o < outer; o++) for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[(o * b + j) * a + i] = src[(o * a + i) * b + j]!;
  return out;
}

/** [a][b][c] → [c][b][a]. */
function reverseAxes(src: ArrayLike<number>, a: number, b: number, c: number): Float32Array {
  const out = new Float32Array(a * b * c);
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) out[(k * b + j) * a + i] = src[(i * b + j) * c + k]!;
  return out;
}

/** NCHW → NHWC (or NCL → NLC) copy, for TensorFlow.js's channels-last layout. */
export function toChannelsLast(a: BenchArray): BenchArray {
  const [n, c, ...sp] = a.shape as [number, number, ...number[]];
  return { data: swapInnerAxes(a.data, n, c, prod(sp)), shape: [n, ...sp, c] };
}

/** OIHW → HWIO (TensorFlow.js filter layout; conv1d OIK → KIO). */
export function filterToHWIO(a: BenchArray): BenchArray {
  const [o, i, ...k] = a.shape as [number, number, ...number[]];
  return { data: reverseAxes(a.data, o, i, prod(k)), shape: [...k, i, o] };
}

/** NHWC → NCHW (NLC → NCL): the inverse of `toChannelsLast`, for comparing TensorFlow.js outputs; `nchw` is the output shape. */
export function fromChannelsLast(a: Float32Array, nchw: readonly number[]): Float32Array {
  const [n, c, ...sp] = nchw as [number, number, ...number[]];
  return swapInnerAxes(a, n, prod(sp), c);
}

/** HWIO → OIHW: the inverse of `filterToHWIO`; `oihw` is the filter shape. */
export function filterFromHWIO(a: Float32Array, oihw: readonly number[]): Float32Array {
  const [o, i, ...k] = oihw as [number, number, ...number[]];
  return reverseAxes(a, prod(k), i, o);
}
