import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel, planes } from '../util.js';

const def: ProgramDef = {
  name: 'tlu',
  inputs: ['x', 'tau'],
  outputs: ['y'],
  uniforms: { C: 'u32', S: 'u32' },
  work: 'element',
  body: /* wgsl */ `
  let t = tau[(i / P.S) % P.C];
  let v = x[i];
  y[i] = select(t, v, v > t || isNan(v));`,
};

/** y = max(x, tau[c]); a NaN in x propagates. */
export const tlu: GpuKernel<'tlu'> = ({ x, tau }, _attrs, gpu) => {
  const { C, S } = planes(x.shape);
  const n = numel(x.shape);
  const y = gpu.alloc(n, 'tlu');
  gpu.run(def, [x.data, tau.data], [y], { C, S }, n);
  return y;
};
