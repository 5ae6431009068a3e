import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';

const def: ProgramDef = {
  name: 'agcUnitClip',
  inputs: ['param', 'grad'],
  outputs: ['out'],
  uniforms: { unitSize: 'u32', clipping: 'f32', eps: 'f32' },
  work: 'group',
  body: /* wgsl */ `
  let base = g * P.unitSize;
  var acc = vec4f(0.0);
  for (var k = lid; k < P.unitSize; k = k + WG) { let w = param[base + k]; let d = grad[base + k]; acc = acc + vec4f(w * w, d * d, 0.0, 0.0); }
  let t = groupSum(acc, lid);
  let maxNorm = P.clipping * max(sqrt(t.x), P.eps);
  let gradNorm = sqrt(t.y);
  let scale = select(1.0, maxNorm / max(gradNorm, 1e-6), gradNorm > maxNorm);
  for (var k = lid; k < P.unitSize; k = k + WG) { out[base + k] = grad[base + k] * scale; }`,
};

/** AGC per unit (one workgroup each): both norms in one reduction, then the gradient scaled where it is too large. */
export const agcUnitClip: GpuKernel<'agcUnitClip'> = ({ param, grad }, { units, unitSize, clipping, eps }, gpu) => {
  const out = gpu.alloc(units * unitSize, 'agcUnitClip');
  gpu.run(def, [param.data, grad.data], [out], { unitSize, clipping, eps }, units);
  return out;
};
