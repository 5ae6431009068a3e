import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { planes } from '../util.js';

const def: ProgramDef = {
  name: 'globalAvgPool',
  inputs: ['x'],
  outputs: ['y'],
  uniforms: { S: 'u32' },
  work: 'group',
  body: /* wgsl */ `
  var acc = 0.0;
  for (var s = lid; s < P.S; s = s + WG) { acc = acc + x[g * P.S + s]; }
  let total = groupSum(vec4f(acc, 0.0, 0.0, 0.0), lid).x;
  if (lid == 0u) { y[g] = total / f32(P.S); }`,
};

/** Mean over the spatial axes: one workgroup per (n, c) plane. */
export const globalAvgPool: GpuKernel<'globalAvgPool'> = ({ x }, _attrs, gpu) => {
  const { N, C, S } = planes(x.shape);
  const y = gpu.alloc(N * C, 'globalAvgPool');
  gpu.run(def, [x.data], [y], { S }, N * C);
  return y;
};
