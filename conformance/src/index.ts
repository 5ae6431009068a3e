export type * from './types.js';

// ---- conformance: the table, references and runner live in @hypercolumn/conformance-core; this
// package adds the ONNX Runtime oracle (Node only) and runs with it by default ----
export * from '@hypercolumn/conformance-core';
export { runConformance } from './runner.js';
export { runOnnx, releaseOnnxSessions } from './oracle/onnx.js';
// ---- end conformance block ----

// ---- bench, report, cli (owner: bench/report engineer) ----
export {
  runBench, benchRunners, hypercolumnRunners, coreCount, PEERS, WORKLOADS, selectWorkloads, convFlops, convOutShape, poolOutShape, workloadBytes,
  median, gflopsPerSecond, gigabytesPerSecond, attachRatios, measure, makeInputs, MEASURE,
  hypercolumnRunner, tfjsCpuRunner, tfjsWasmRunner, onnxruntimeNodeRunner, onnxruntimeWebRunner,
  type BenchOptions, type PeerName, type Workload, type WorkloadSpec, type BenchRunner, type PreparedRun, type MeasureOptions, type BenchInputs,
} from './bench/index.js';
export {
  buildReport, machineInfo, reportToJson, parseReport, writeReport, renderTerminal, renderHtml, workloadChart, cellText, kernelRoutes, speedText,
  goalSummary, matrixAxes, escapeHtml, type GoalLine,
} from './report.js';
export { main as runCli, parseCli, UsageError, type CliOptions } from './cli.js';
export { importBackends, backendFactory, baseBackend, packageOf, BACKEND_PACKAGES, type BackendFactoryWithThreads } from './backends.js';
// ---- end bench/report/cli block ----
