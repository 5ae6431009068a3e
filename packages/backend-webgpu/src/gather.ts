import type { GpuData, WebGpuBackend } from './backend.js';
import type { ProgramDef } from './shader.js';
import { collapseAxes, numel } from './util.js';

const gatherDef: ProgramDef = {
  name: 'gather',
  inputs: ['x'],
  outputs: ['y'],
  uniforms: { rank: 'u32', shape: 'u32x8', strides: 'i32x8', base: 'i32' },
  work: 'element',
  body: 'y[i] = x[u32(P.base + offsetIn(i, P.rank, P.shape, P.strides))];',
};

/**
 * y (of `shape`, row-major) takes x at `base + Σ coord_k · strides_k`: the one strided copy behind
 * broadcastTo, transpose, reverseSpatial and slice (each kernel supplies its strides).
 */
export function gather(op: string, gpu: WebGpuBackend, x: GpuData, shape: readonly number[], strides: readonly number[], base = 0): GpuData {
  const n = numel(shape);
  const y = gpu.alloc(n, op);
  const c = collapseAxes(op, shape, [strides]);
  gpu.run(gatherDef, [x], [y], { rank: c.shape.length, shape: c.shape, strides: c.strides[0]!, base }, n);
  return y;
}
