import type { TensorInfo } from '@hypercolumn/core';
import type { GpuData, GpuKernel, WebGpuBackend } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel, planes } from '../util.js';

function def(hasWeight: boolean, hasBias: boolean, withTau: boolean): ProgramDef {
  return {
    name: `frn${withTau ? 'Tlu' : ''}${hasWeight ? '_w' : ''}${hasBias ? '_b' : ''}`,
    inputs: ['x', 'eps', ...(withTau ? ['tau'] : []), ...(hasWeight ? ['weight'] : []), ...(hasBias ? ['bias'] : [])],
    outputs: withTau ? ['y'] : ['y', 'nu2'],
    uniforms: { C: 'u32', S: 'u32' },
    work: 'group',
    body: /* wgsl */ `
  let c = g % P.C;
  let base = g * P.S;
  var s = 0.0;
  for (var k = lid; k < P.S; k = k + WG) { let v = x[base + k]; s = s + v * v; }
  let meanSquare = groupSum(vec4f(s, 0.0, 0.0, 0.0), lid).x / f32(P.S);
  let r = 1.0 / sqrt(meanSquare + abs(eps[0]));
  for (var k = lid; k < P.S; k = k + WG) {
    var v = x[base + k] * r${hasWeight ? ' * weight[c]' : ''}${hasBias ? ' + bias[c]' : ''};
    ${withTau ? 'v = select(tau[c], v, v > tau[c] || isNan(v));' : ''}
    y[base + k] = v;
  }
  ${withTau ? '' : 'if (lid == 0u) { nu2[g] = meanSquare; }'}`,
  };
}

type Inputs = { x: TensorInfo<GpuData>; eps: TensorInfo<GpuData>; tau?: TensorInfo<GpuData>; weight?: TensorInfo<GpuData>; bias?: TensorInfo<GpuData> };

/**
 * FRN per (n, c) plane: ν² = mean(x²), y = weight·x/sqrt(ν² + |eps|) + bias; with tau, TLU follows
 * (max(y, tau[c]), NaN propagating) and ν² is not written.
 */
export function frnPlanes(gpu: WebGpuBackend, { x, eps, tau, weight, bias }: Inputs, op: string): GpuData[] {
  const { N, C, S } = planes(x.shape);
  const y = gpu.alloc(numel(x.shape), op);
  const outputs = tau ? [y] : [y, gpu.alloc(N * C, op)];
  const inputs = [x.data, eps.data, ...(tau ? [tau.data] : []), ...(weight ? [weight.data] : []), ...(bias ? [bias.data] : [])];
  gpu.run(def(!!weight, !!bias, !!tau), inputs, outputs, { C, S }, N * C);
  return outputs;
}

export const frn: GpuKernel<'frn'> = ({ x, eps, weight, bias }, _attrs, gpu) => {
  const [y, nu2] = frnPlanes(gpu, { x, eps, weight, bias }, 'frn');
  return [y!, nu2!];
};
