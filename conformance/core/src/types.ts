/** Shapes of conformance results, shared by the runner, the backend test helper and the report. */
import type { KernelRoute } from '@hypercolumn/core';
import type { Case } from './cases.js';
import type { Oracle } from './oracle.js';

export type { KernelRoute };

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
  /** Kernels the case launched (traced at run time), each with how it ran on this backend. */
  kernels?: Record<string, KernelRoute>;
  /** The worst route among `kernels`: native < composite < fallback < missing. */
  route?: KernelRoute;
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
  /** The worst route of the row's cases on this backend. */
  route?: KernelRoute;
  /** Every kernel the row's cases launched, with its route. */
  kernels?: Record<string, KernelRoute>;
}

export interface BackendSummary {
  name: string;
  available: boolean;
  reason?: string;
  /** Kernels the backend implements itself. */
  kernels: string[];
  /** How every kernel of the contract resolves on it (`listBackends()`), launched in this run or not. */
  resolution: Record<string, KernelRoute>;
  /** Whether the table ran on it (unavailable backends nobody asked for are listed, not tested). */
  tested: boolean;
  /** Named explicitly (`backends` option, `--backends`/`--require`): unavailable then fails the run. */
  required: boolean;
}

export interface ConformanceResult {
  backends: BackendSummary[];
  cases: CaseResult[];
  /** matrix[backend][op] */
  matrix: Record<string, Record<string, MatrixCell>>;
  /** References the cases were held to in this run (ONNX Runtime only with an oracle). */
  references: ('float64' | 'onnxruntime' | 'finite-difference')[];
  /** All cells pass (fallback counts as pass when the cpu numbers pass) and every required backend ran. */
  ok: boolean;
}

export interface ConformanceOptions {
  /**
   * Backends to run, each required: one that is unavailable or not registered fails the run with its
   * reason. Default: every available registered backend.
   */
  backends?: string[];
  /** One backend (shorthand for `backends: [backend]`). */
  backend?: string;
  /** Backends that must run, added to the selection: one that is unavailable fails the run with its reason. */
  require?: string[];
  /** Fewer randomised cases (CI and the quick report). */
  quick?: boolean;
  /** Only cases whose op or row ("conv2dBackward") is in this list. */
  ops?: string[];
  /** Only cases this predicate accepts (after `ops`). */
  filter?: (c: Case) => boolean;
  /** ONNX Runtime (Node only, from `@hypercolumn/conformance`); without it the float64 and FD references run. */
  oracle?: Oracle;
  /** Seed for the randomised cases. */
  seed?: number;
  /** Called after each case (progress bars). */
  onCase?: (result: CaseResult, done: number, total: number) => void;
}
