/** The conformance runner with ONNX Runtime as the second reference (Node only). */
import { runConformance as runTable, type ConformanceOptions, type ConformanceResult } from '@hypercolumn/conformance-core';
import { runOnnx } from './oracle/onnx.js';

/** `runConformance` of `@hypercolumn/conformance-core`, with the ONNX Runtime oracle unless one is given. */
export function runConformance(options: ConformanceOptions = {}): Promise<ConformanceResult> {
  return runTable({ oracle: runOnnx, ...options });
}
