import type { AxisAttrs } from '@hypercolumn/core';
import type { GpuData, WebGpuBackend } from './backend.js';
import type { ProgramDef } from './shader.js';

/**
 * Kernels along one axis of x seen as [outer, axisSize, inner]: one invocation per (outer, inner)
 * lane walks the axis; `at(j)` is the flat index of position j of the lane. Each kernel supplies the
 * statements of its lane.
 */
export function laneDef(name: string, inputs: string[], outputs: string[], lane: string): ProgramDef {
  return {
    name,
    inputs,
    outputs,
    uniforms: { axisSize: 'u32', inner: 'u32' },
    work: 'element',
    helpers: /* wgsl */ `
fn laneBase(i: u32) -> u32 { return (i / P.inner) * P.axisSize * P.inner + i % P.inner; }`,
    body: `  let base = laneBase(i);\n${lane}`,
  };
}

/** WGSL: the lane's maximum `m` and Σ exp(x − m) `z` (stable log-sum-exp), over input `src`. */
export const laneLogSumExp = (src: string): string => /* wgsl */ `
  var m = negInfinity();
  for (var j = 0u; j < P.axisSize; j = j + 1u) { m = max(m, ${src}[base + j * P.inner]); }
  var z = 0.0;
  for (var j = 0u; j < P.axisSize; j = j + 1u) { z = z + exp(${src}[base + j * P.inner] - m); }`;

export function runLanes(gpu: WebGpuBackend, def: ProgramDef, inputs: GpuData[], attrs: AxisAttrs, op: string): GpuData {
  const y = gpu.alloc(attrs.outer * attrs.axisSize * attrs.inner, op);
  gpu.run(def, inputs, [y], { axisSize: attrs.axisSize, inner: attrs.inner }, attrs.outer * attrs.inner);
  return y;
}
