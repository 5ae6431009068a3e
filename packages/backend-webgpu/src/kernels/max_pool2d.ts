import type { GpuKernel } from '../backend.js';
import { WINDOW_UNIFORMS, windowUniforms } from '../conv_geometry.js';
import { MAX_WINDOW_WGSL } from '../pool_wgsl.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'maxPool2d',
  inputs: ['x'],
  outputs: ['y'],
  uniforms: WINDOW_UNIFORMS,
  work: 'element',
  helpers: MAX_WINDOW_WGSL,
  body: /* wgsl */ `
  let idx = i32(i);
  let ow = idx % P.outW;
  let oh = (idx / P.outW) % P.outH;
  let plane = idx / (P.outW * P.outH);
  y[i] = windowMax(plane * P.inH * P.inW, oh, ow).value;`,
};

/** Max pooling: one invocation per output; padding is ignored. */
export const maxPool2d: GpuKernel<'maxPool2d'> = ({ x }, { geometry }, gpu) => {
  const n = numel(geometry.yShape);
  const y = gpu.alloc(n, 'maxPool2d');
  gpu.run(def, [x.data], [y], windowUniforms(geometry), n);
  return y;
};
