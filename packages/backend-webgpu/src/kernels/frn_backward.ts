import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel, planes } from '../util.js';

/*
 * FRN gradient. Per (n, c) plane of S elements, r = (ν² + |eps|)^(−1/2):
 *   dx = w·r·(dy − x·r²·Σ(dy·x)/S),  dweight[c] = Σ_n r·Σ(dy·x),  dbias[c] = Σ dy,
 *   deps = −½·sign(eps)·Σ_{n,c} w·r³·Σ(dy·x)      (d|eps|/d eps = sign(eps), 0 at eps = 0).
 * Three passes: planes (dx and the plane sums), channels, then the eps total.
 */
const planeDef = (hasWeight: boolean): ProgramDef => ({
  name: `frnBackward_planes${hasWeight ? '_w' : ''}`,
  inputs: ['dy', 'x', 'nu2', 'eps', ...(hasWeight ? ['weight'] : [])],
  outputs: ['dx', 'sumDyX', 'sumDy'],
  uniforms: { C: 'u32', S: 'u32' },
  work: 'group',
  body: /* wgsl */ `
  let base = g * P.S;
  let r = 1.0 / sqrt(nu2[g] + abs(eps[0]));
  var acc = vec4f(0.0);
  for (var k = lid; k < P.S; k = k + WG) { let d = dy[base + k]; acc = acc + vec4f(d * x[base + k], d, 0.0, 0.0); }
  let t = groupSum(acc, lid);
  let k0 = r${hasWeight ? ' * weight[g % P.C]' : ''};
  let k1 = k0 * r * r * t.x / f32(P.S);
  for (var k = lid; k < P.S; k = k + WG) { dx[base + k] = k0 * dy[base + k] - k1 * x[base + k]; }
  if (lid == 0u) { sumDyX[g] = t.x; sumDy[g] = t.y; }`,
});

const channelDef = (hasWeight: boolean): ProgramDef => ({
  name: `frnBackward_channels${hasWeight ? '_w' : ''}`,
  inputs: ['sumDyX', 'sumDy', 'nu2', 'eps', ...(hasWeight ? ['weight'] : [])],
  outputs: ['dweight', 'dbias', 'epsTerms'],
  uniforms: { C: 'u32', N: 'u32' },
  work: 'group',
  body: /* wgsl */ `
  let c = g;
  var acc = vec4f(0.0);
  for (var n = lid; n < P.N; n = n + WG) {
    let p = n * P.C + c;
    let r = 1.0 / sqrt(nu2[p] + abs(eps[0]));
    acc = acc + vec4f(sumDyX[p] * r, sumDy[p], sumDyX[p] * r * r * r, 0.0);
  }
  let t = groupSum(acc, lid);
  if (lid == 0u) { dweight[c] = t.x; dbias[c] = t.y; epsTerms[c] = t.z${hasWeight ? ' * weight[c]' : ''}; }`,
});

const epsDef: ProgramDef = {
  name: 'frnBackward_eps',
  inputs: ['epsTerms', 'eps'],
  outputs: ['deps'],
  uniforms: { C: 'u32' },
  work: 'group',
  body: /* wgsl */ `
  var s = 0.0;
  for (var c = lid; c < P.C; c = c + WG) { s = s + epsTerms[c]; }
  let total = groupSum(vec4f(s, 0.0, 0.0, 0.0), lid).x;
  if (lid == 0u) { deps[0] = -0.5 * sign(eps[0]) * total; }`,
};

export const frnBackward: GpuKernel<'frnBackward'> = ({ dy, x, nu2, eps, weight }, _attrs, gpu) => {
  const { N, C, S } = planes(x.shape);
  const op = 'frnBackward';
  const dx = gpu.alloc(numel(x.shape), op);
  const sumDyX = gpu.alloc(N * C, op), sumDy = gpu.alloc(N * C, op);
  const w = weight ? [weight.data] : [];
  gpu.run(planeDef(!!weight), [dy.data, x.data, nu2.data, eps.data, ...w], [dx, sumDyX, sumDy], { C, S }, N * C);
  const dweight = gpu.alloc(C, op), dbias = gpu.alloc(C, op), epsTerms = gpu.alloc(C, op);
  gpu.run(channelDef(!!weight), [sumDyX, sumDy, nu2.data, eps.data, ...w], [dweight, dbias, epsTerms], { C, N }, C);
  const deps = gpu.alloc(1, op);
  gpu.run(epsDef, [epsTerms, eps.data], [deps], { C }, 1);
  gpu.free(sumDyX);
  gpu.free(sumDy);
  gpu.free(epsTerms);
  return [dx, dweight, dbias, deps];
};
