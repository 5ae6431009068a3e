/**
 * Shapes shared by the conformance runner, the benchmark and the report.
 * (Written first so the pieces can be built side by side.)
 */

/** Outcome of one case on one backend. */
export type CellStatus = 'pass' | 'fail' | 'fallback' | 'missing' | 'error';

export interface CaseResult {
  /** Case id, unique in the table, e.g. "conv2d/stride2-same-odd#3". */
  id: string;
  /** Public op under test, e.g. "conv2d", "maxPool2d", "conv2dBackpropFilter". */
  op: string;
  backend: string;
  status: CellStatus;
  /** Which reference the numbers were compared with. */
  reference: 'float64' | 'onnxruntime' | 'finite-difference';
  /** Worst value of |got − ref| / (atol + rtol·|ref|) over elements (≤ 1 passes). */
  worstRatio?: number;
  /** Worst absolute error over elements. */
  worstAbsError?: number;
  /** Kernels that ran on cpu instead of this backend (status 'fallback'). */
  fallbackKernels?: string[];
  message?: string;
}

/** One cell of the backend × op matrix. */
export interface MatrixCell {
  status: CellStatus;
  cases: number;
  passed: number;
  worstRatio?: number;
  worstAbsError?: number;
}

export interface ConformanceResult {
  backends: { name: string; available: boolean; reason?: string; kernels: string[] }[];
  cases: CaseResult[];
  /** matrix[backend][op] */
  matrix: Record<string, Record<string, MatrixCell>>;
  /** All cells pass (fallback counts as pass when the cpu numbers pass). */
  ok: boolean;
}

export interface ConformanceOptions {
  /** Backend names to run (default: every available backend). */
  backends?: string[];
  /** Fewer randomised cases (CI and the quick report). */
  quick?: boolean;
  /** Only cases whose op is in this list. */
  ops?: string[];
  /** Seed for the randomised cases. */
  seed?: number;
  /** Called after each case (progress bars). */
  onCase?: (result: CaseResult, done: number, total: number) => void;
}

export interface BenchResult {
  workload: string;
  /** e.g. "conv2d", "maxPool2d", "batchNorm", "conv2dBackpropFilter". */
  op: string;
  /** "hypercolumn:cpu", "tfjs-cpu", "onnxruntime-node", … */
  runner: string;
  threads: number;
  medianMs: number;
  runs: number;
  /** Compute-bound workloads. */
  gflops?: number;
  /** Memory-bound workloads. */
  gbps?: number;
  /** medianMs(best peer) / medianMs(this runner), for hypercolumn runners. */
  ratioToBestPeer?: number;
  bestPeer?: string;
  /** Why a runner could not run this workload. */
  skipped?: string;
}

export interface Report {
  date: string;
  machine: { cpu: string; cores: number; node: string; platform: string };
  conformance: ConformanceResult;
  bench: BenchResult[];
}
