import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'scaledAdd',
  inputs: ['a', 'b'],
  outputs: ['y'],
  uniforms: { alpha: 'f32', beta: 'f32' },
  work: 'element',
  body: 'y[i] = P.alpha * a[i] + P.beta * b[i];',
};

/** y = alpha·a + beta·b (same shapes): e.g. a running-statistics update in one launch. */
export const scaledAdd: GpuKernel<'scaledAdd'> = ({ a, b }, { alpha, beta }, gpu) => {
  const n = numel(a.shape);
  const y = gpu.alloc(n, 'scaledAdd');
  gpu.run(def, [a.data, b.data], [y], { alpha, beta }, n);
  return y;
};
