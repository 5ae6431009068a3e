import type { FusedActivation, TensorInfo } from '@hypercolumn/core';
import type { GpuData, GpuKernel, WebGpuBackend } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { numel, planes } from '../util.js';

function def(hasScale: boolean, hasOffset: boolean, activation: FusedActivation): ProgramDef {
  return {
    name: `batchNormInference${hasScale ? '_scale' : ''}${hasOffset ? '_offset' : ''}${activation === 'none' ? '' : `_${activation}`}`,
    inputs: ['x', 'mean', 'variance', ...(hasScale ? ['scale'] : []), ...(hasOffset ? ['offset'] : [])],
    outputs: ['y'],
    uniforms: { C: 'u32', S: 'u32', eps: 'f32' },
    work: 'element',
    body: /* wgsl */ `
  let c = (i / P.S) % P.C;
  var v = (x[i] - mean[c]) / sqrt(variance[c] + P.eps)${hasScale ? ' * scale[c]' : ''}${hasOffset ? ' + offset[c]' : ''};
  ${activation === 'relu' ? 'v = select(0.0, v, v > 0.0 || isNan(v));' : ''}
  y[i] = v;`,
  };
}

type Inputs = { x: TensorInfo<GpuData>; mean: TensorInfo<GpuData>; variance: TensorInfo<GpuData>; scale?: TensorInfo<GpuData>; offset?: TensorInfo<GpuData> };

/** y = (x − mean[c])/sqrt(var[c] + eps)·scale[c] + offset[c], then the activation; one invocation per element. */
export function batchNormApply(gpu: WebGpuBackend, { x, mean, variance, scale, offset }: Inputs, eps: number, activation: FusedActivation, op: string): GpuData {
  const { C, S } = planes(x.shape);
  const n = numel(x.shape);
  const y = gpu.alloc(n, op);
  const inputs = [x.data, mean.data, variance.data, ...(scale ? [scale.data] : []), ...(offset ? [offset.data] : [])];
  gpu.run(def(!!scale, !!offset, activation), inputs, [y], { C, S, eps }, n);
  return y;
}

export const batchNormInference: GpuKernel<'batchNormInference'> = (inputs, { eps }, gpu) =>
  batchNormApply(gpu, inputs, eps, 'none', 'batchNormInference');
