/** Shapes of the benchmark and the report (conformance results come from `@hypercolumn/conformance-core`). */
import type { ConformanceResult } from '@hypercolumn/conformance-core';

export type * from '@hypercolumn/conformance-core';

export interface BenchResult {
  workload: string;
  /** e.g. "conv2d", "maxPool2d", "batchNorm", "conv2dBackpropFilter". */
  op: string;
  /** "hypercolumn:cpu", "tfjs-cpu", "onnxruntime-node", … */
  runner: string;
  threads: number;
  medianMs: number;
  /** The first call (made while preparing; one-time work such as webgpu pipeline compilation included). */
  firstMs?: number;
  /** Fastest timed run (DESIGN §5 compares native with onnxruntime-node on both). */
  bestMs?: number;
  runs: number;
  /** Compute-bound workloads. */
  gflops?: number;
  /** The backend's measured peak (its `peakGflops()` probe) and gflops / peak, for compute-bound workloads. */
  peakGflops?: number;
  peakFraction?: number;
  /** Memory-bound workloads. */
  gbps?: number;
  /** Training workloads. */
  imagesPerSecond?: number;
  /** medianMs(best peer) / medianMs(this runner), for hypercolumn runners. */
  ratioToBestPeer?: number;
  bestPeer?: string;
  /** What the runner is, where it says (its `describe()`): versions, build. */
  about?: string;
  /** Why a runner could not run this workload. */
  skipped?: string;
}

export interface Report {
  date: string;
  machine: { cpu: string; cores: number; node: string; platform: string };
  conformance: ConformanceResult;
  bench: BenchResult[];
}
