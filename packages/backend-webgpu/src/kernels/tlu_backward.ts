import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel, planes } from '../util.js';

const dxDef: ProgramDef = {
  name: 'tluBackward_dx',
  inputs: ['dy', 'x', 'tau'],
  outputs: ['dx'],
  uniforms: { C: 'u32', S: 'u32' },
  work: 'element',
  body: 'dx[i] = select(0.0, dy[i], x[i] > tau[(i / P.S) % P.C]);',
};

const dtauDef: ProgramDef = {
  name: 'tluBackward_dtau',
  inputs: ['dy', 'x', 'tau'],
  outputs: ['dtau'],
  uniforms: { C: 'u32', S: 'u32', N: 'u32' },
  work: 'group',
  body: /* wgsl */ `
  let c = g;
  let t = tau[c];
  var s = 0.0;
  for (var n = 0u; n < P.N; n = n + 1u) {
    let base = (n * P.C + c) * P.S;
    for (var k = lid; k < P.S; k = k + WG) { let a = base + k; if (!(x[a] > t)) { s = s + dy[a]; } }
  }
  let total = groupSum(vec4f(s, 0.0, 0.0, 0.0), lid).x;
  if (lid == 0u) { dtau[c] = total; }`,
};

/** Ties (x == tau) send the gradient to tau: dx = dy where x > tau; dtau[c] = Σ dy elsewhere. */
export const tluBackward: GpuKernel<'tluBackward'> = ({ dy, x, tau }, _attrs, gpu) => {
  const { N, C, S } = planes(x.shape);
  const n = numel(x.shape);
  const dx = gpu.alloc(n, 'tluBackward'), dtau = gpu.alloc(C, 'tluBackward');
  gpu.run(dxDef, [dy.data, x.data, tau.data], [dx], { C, S }, n);
  gpu.run(dtauDef, [dy.data, x.data, tau.data], [dtau], { C, S, N }, C);
  return [dx, dtau];
};
