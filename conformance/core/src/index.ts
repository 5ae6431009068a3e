/**
 * @hypercolumn/conformance-core — the conformance table as data (cases.ts, ops.ts), the float64
 * reference, finite-difference gradient checks, the comparison rule of DESIGN §3 and the runner.
 * No backend and no Node-only import: a backend package runs the table on itself from its own tests
 * (`@hypercolumn/conformance-core/vitest`), a browser page runs it as is, and `@hypercolumn/conformance`
 * adds the ONNX Runtime oracle, the benchmark, the report and the CLI on top.
 */
export type * from './types.js';
export { runConformance, buildMatrix, compareArrays, RTOL, ATOL_PER_MAGNITUDE, FD_STEP, type Comparison } from './runner.js';
export {
  buildCases, rowOf, seedOutputSize, TEXTBOOK_X, TEXTBOOK_W, TEXTBOOK_CORRELATION, TEXTBOOK_CONVOLUTION, EDGE_IMAGE, EDGE_KERNEL, EDGE_RESPONSE,
  type Case, type CaseOptions, type InputSpec, type ReferenceKind, type Gen,
} from './cases.js';
export { OPS, weightedSum, type OpSpec, type OnnxCall, type Attrs } from './ops.js';
export type { OnnxNode, Oracle } from './oracle.js';
export { caseValues, lossWeights, rng, type CaseValues } from './values.js';
export * as reference from './reference/index.js';
