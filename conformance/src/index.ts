export type * from './types.js';

// ---- conformance: cases, references, oracle, runner (owner: conformance engineer) ----
export { runConformance, buildMatrix, compareArrays, RTOL, ATOL_PER_MAGNITUDE, FD_STEP, type Comparison } from './runner.js';
export { buildCases, rowOf, type Case, type CaseOptions, type InputSpec, type ReferenceKind, type Gen } from './cases.js';
export { OPS, type OpSpec } from './ops.js';
export { runOnnx, releaseOnnxSessions, type OnnxNode } from './oracle/onnx.js';
export { caseValues, lossWeights, rng } from './values.js';
export * as reference from './reference/index.js';
// ---- end conformance block ----

// ---- bench, report, cli (owner: bench/report engineer) ----
export {
  runBench, benchRunners, coreCount, PEERS, WORKLOADS, selectWorkloads, convFlops, convOutShape, poolOutShape, workloadBytes,
  median, gflopsPerSecond, gigabytesPerSecond, attachRatios, measure, makeInputs, MEASURE,
  hypercolumnRunner, tfjsCpuRunner, tfjsWasmRunner, onnxruntimeNodeRunner, onnxruntimeWebRunner,
  type BenchOptions, type PeerName, type Workload, type WorkloadSpec, type BenchRunner, type PreparedRun, type MeasureOptions, type BenchInputs,
} from './bench/index.js';
export {
  buildReport, machineInfo, reportToJson, parseReport, writeReport, renderTerminal, renderHtml, workloadChart, cellText, speedText,
  goalSummary, matrixAxes, escapeHtml, type GoalLine,
} from './report.js';
export { main as runCli, parseCli, importBackends, BACKEND_PACKAGES, UsageError, type CliOptions } from './cli.js';
// ---- end bench/report/cli block ----
