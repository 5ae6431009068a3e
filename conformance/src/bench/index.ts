/**
 * The benchmark (DESIGN §4): the fixed workload list on every available hypercolumn backend, each
 * at 1 thread and at all cores, and on the peers — TensorFlow.js cpu and wasm, ONNX Runtime node (1 thread and all cores) and web (wasm,
 * in Node), PyTorch CPU (a Python child, 1 thread and all cores) — measured in one run as the median of timed runs after warm-up.
 *
 * What is timed, for every runner alike: the op on inputs already in the runner's own storage, plus
 * reading the output back into a JavaScript Float32Array, plus freeing the output. Input generation,
 * uploads, layout conversion (NHWC for TensorFlow.js) and session creation are outside the timing.
 */
import os from 'node:os';
import * as hc from '@hypercolumn/core';
import { backendFactory } from '../backends.js';
import type { BenchResult } from '../types.js';
import { hypercolumnRunner } from './hypercolumn.js';
import { onnxruntimeNodeRunner, onnxruntimeWebRunner } from './peers/onnxruntime.js';
import { pytorchRunner } from './peers/pytorch.js';
import { tfjsCpuRunner, tfjsWasmRunner, tfjsWebgpuRunner } from './peers/tfjs.js';
import { collectGarbage, makeInputs, measure, MEASURE, remainder, roundShare, settleAllocator, settleThreads, SLOW_RUN_MS, type BenchRunner, type MeasureOptions, type PreparedRun } from './runner.js';
import { attachRatios, gflopsPerSecond, gigabytesPerSecond, median } from './stats.js';
import { selectWorkloads, type Workload } from './workloads.js';

export const PEERS = ['tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu', 'onnxruntime-node', 'onnxruntime-web', 'pytorch'] as const;
export type PeerName = (typeof PEERS)[number];

export interface BenchOptions {
  /** quick: a few workloads, 5 runs each (seconds); full: the whole list, ≥ 10 runs each. */
  mode: 'quick' | 'full';
  /** hypercolumn backends to measure (default: every available one). */
  backends?: string[];
  /** Peers to measure (default: all). */
  peers?: readonly PeerName[];
  /** Only workloads of these ops (prefix match: "conv2d" includes its backward kernels). */
  ops?: string[];
  /** Only these workload ids. */
  workloads?: string[];
  /** Extra workloads (tests use tiny ones); measured in place of the list when `only` is set. */
  custom?: { workloads: Workload[]; only?: boolean };
  /** Thread counts of hypercolumn backends and peers (default: 1 and every core). */
  threads?: number[];
  /** Overrides the mode's run counts. */
  measure?: Partial<MeasureOptions>;
  seed?: number;
  /** Explicit runners (default: `benchRunners(options)`). */
  runners?: BenchRunner[];
  /** Called with each (workload, runner) result, once the workload's last round is done. */
  onResult?: (result: BenchResult, done: number, total: number) => void;
  /** Called as each measurement starts (the round counts from 1; done and total as for onResult). */
  onMeasure?: (what: { workload: string; runner: BenchRunner; round: number; rounds: number }, done: number, total: number) => void;
}

export function coreCount(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * The hypercolumn runners for `backend`: one per thread count, each a variant (`cpu@1t`, `cpu@2t`)
 * made by its package's factory `createCpuBackend({threads})`; a backend without such a factory (one
 * registered by hand) runs as registered, at the threads it reports.
 */
export async function hypercolumnRunners(backend: string, threads: readonly number[]): Promise<BenchRunner[]> {
  const factory = backend.includes('@') ? undefined : await backendFactory(backend);
  if (!factory) return [hypercolumnRunner(backend)];
  return threads.map((t) => {
    const name = `${backend}@${t}t`;
    return hypercolumnRunner(name, { create: () => factory({ threads: t, name }), threads: t });
  });
}

/** The runners of a benchmark run: every hypercolumn backend at 1 thread and at all cores, then the peers. */
export async function benchRunners(options: Pick<BenchOptions, 'backends' | 'peers' | 'threads'> = {}): Promise<BenchRunner[]> {
  const threads = [...new Set(options.threads ?? [1, coreCount()])].sort((a, b) => a - b);
  const available = (await hc.listBackends()).filter((b) => b.available).map((b) => b.name);
  const backends = options.backends ?? available;
  const peers = new Set<string>(options.peers ?? PEERS);
  const runners: BenchRunner[] = [];
  for (const b of backends) runners.push(...(await hypercolumnRunners(b, threads)));
  if (peers.has('tfjs-cpu')) runners.push(tfjsCpuRunner());
  if (peers.has('tfjs-wasm')) for (const t of threads) runners.push(tfjsWasmRunner(t));
  // A GPU peer: only beside hypercolumn's webgpu backend (it has no thread count to compare).
  if (peers.has('tfjs-webgpu') && backends.includes('webgpu')) runners.push(tfjsWebgpuRunner());
  if (peers.has('onnxruntime-node')) for (const t of threads) runners.push(onnxruntimeNodeRunner(t));
  if (peers.has('onnxruntime-web')) for (const t of threads) runners.push(onnxruntimeWebRunner(t));
  if (peers.has('pytorch')) for (const t of threads) runners.push(pytorchRunner(t));
  return runners;
}

function result(w: Workload, runner: BenchRunner, times: number[], firstMs: number | undefined): BenchResult {
  const medianMs = median(times);
  return {
    workload: w.id,
    op: w.op,
    runner: runner.name,
    threads: runner.threads,
    medianMs,
    bestMs: Math.min(...times),
    ...(firstMs !== undefined ? { firstMs } : {}),
    runs: times.length,
    ...(w.flops !== undefined ? { gflops: gflopsPerSecond(w.flops, medianMs) } : {}),
    ...(w.flops !== undefined && runner.peakGflops ? { peakGflops: runner.peakGflops, peakFraction: gflopsPerSecond(w.flops, medianMs) / runner.peakGflops } : {}),
    ...(w.bytes !== undefined ? { gbps: gigabytesPerSecond(w.bytes, medianMs) } : {}),
    ...(w.images !== undefined ? { imagesPerSecond: (1000 * w.images) / medianMs } : {}),
  };
}

function skipped(w: Workload, runner: BenchRunner, reason: string): BenchResult {
  return { workload: w.id, op: w.op, runner: runner.name, threads: runner.threads, medianMs: 0, runs: 0, skipped: reason };
}

/** Runs the benchmark; results carry `ratioToBestPeer` / `bestPeer` for hypercolumn runners. */
export async function runBench(options: BenchOptions): Promise<BenchResult[]> {
  const listed = options.custom?.only ? [] : selectWorkloads(options.mode, { ops: options.ops, ids: options.workloads });
  const workloads = [...listed, ...(options.custom?.workloads ?? [])];
  const runners = options.runners ?? (await benchRunners(options));
  const base = MEASURE[options.mode];
  if (!base) throw new Error(`runBench: mode expected "quick" or "full", got ${JSON.stringify(options.mode)}`);
  const settings: MeasureOptions = { ...base, ...options.measure };
  const why = new Map<BenchRunner, string | undefined>();
  for (const r of runners) why.set(r, await r.init());
  settleAllocator();
  const results: BenchResult[] = [];
  const total = workloads.length * runners.length;
  let previousThreads = 1;
  // one runner's timed runs, after a full collection and once the process's other threads are idle
  const timed = async (runner: BenchRunner, prepared: PreparedRun, o: MeasureOptions): Promise<number[]> => {
    collectGarbage();
    // a fixed settle after a multi-threaded runner too: its threads may still spin on both cores
    const minMs = (runner.threads > 1 || previousThreads > 1) && o.settleMs ? o.settleMs : 0;
    if (o.settleMs !== undefined) await settleThreads(minMs, o.settleMaxMs ?? 3000);
    previousThreads = runner.threads;
    return prepared.measure ? prepared.measure(o) : measure(prepared, o);
  };
  const share = roundShare(settings);
  for (const w of workloads) {
    const inputs = makeInputs(w, options.seed);
    // every runner in turn, round after round (MeasureOptions.rounds); prepared afresh each round, as
    // runners may share global state (TensorFlow.js has one current backend)
    const entries = runners.map((runner) => ({ runner, reason: why.get(runner), times: [] as number[], firstMs: undefined as number | undefined, done: false }));
    for (let round = 0; round < (settings.rounds ?? 1); round++) {
      for (const e of entries) {
        if (e.done || e.reason) continue;
        const prepared = await e.runner.prepare(w, inputs).catch((err: unknown) => `failed: ${err instanceof Error ? err.message : String(err)}`);
        if (typeof prepared === 'string') {
          e.reason = prepared;
          continue;
        }
        if (round === 0) e.firstMs = prepared.firstMs;
        try {
          options.onMeasure?.({ workload: w.id, runner: e.runner, round: round + 1, rounds: settings.rounds ?? 1 }, results.length, total);
          e.times.push(...(await timed(e.runner, prepared, share)));
          // slow runs gain nothing from rounds: the rest of them now (a budget-cut single run stays single)
          if (round === 0 && share !== settings && median(e.times) > SLOW_RUN_MS) {
            if (e.times.length > 1) e.times.push(...(await timed(e.runner, prepared, remainder(settings, e.times))));
            e.done = true;
          }
        } catch (err) {
          e.reason = `failed while timing: ${err instanceof Error ? err.message : String(err)}`;
        } finally {
          await prepared.dispose();
        }
      }
    }
    for (const e of entries) {
      const r = e.reason ? skipped(w, e.runner, e.reason) : result(w, e.runner, e.times, e.firstMs);
      const about = e.runner.describe?.();
      if (about) r.about = about;
      results.push(r);
      options.onResult?.(r, results.length, total);
    }
  }
  for (const r of runners) await r.close?.();
  return attachRatios(results);
}

export { WORKLOADS, selectWorkloads, convFlops, convOutShape, poolOutShape, workloadBytes, type Workload, type WorkloadSpec } from './workloads.js';
export { median, gflopsPerSecond, gigabytesPerSecond, attachRatios } from './stats.js';
export { measure, makeInputs, MEASURE, toChannelsLast, fromChannelsLast, filterToHWIO, filterFromHWIO, type BenchRunner, type PreparedRun, type MeasureOptions, type BenchInputs } from './runner.js';
export { hypercolumnRunner, backendThreads, backendPeakGflops, type ThreadVariant } from './hypercolumn.js';
export { tfjsCpuRunner, tfjsWasmRunner, tfjsWebgpuRunner } from './peers/tfjs.js';
export { onnxruntimeNodeRunner, onnxruntimeWebRunner } from './peers/onnxruntime.js';
export { pytorchRunner, PytorchProcess, pythonCandidates, PYTORCH_PEER_SCRIPT, type PytorchInfo } from './peers/pytorch.js';
