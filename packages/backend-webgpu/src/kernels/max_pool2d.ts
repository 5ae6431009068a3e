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
  // 4 output columns per invocation: the index arithmetic (integer division) is paid once per 4
  body: /* wgsl */ `
  let idx = i32(i);
  let owBlocks = (P.outW + 3) / 4;
  let ow0 = (idx % owBlocks) * 4;
  let oh = (idx / owBlocks) % P.outH;
  let plane = idx / (owBlocks * P.outH);
  let yRow = (plane * P.outH + oh) * P.outW;
  for (var ow = ow0; ow < min(ow0 + 4, P.outW); ow = ow + 1) {
    y[yRow + ow] = windowMax(plane * P.inH * P.inW, oh, ow).value;
  }`,
};

/** Max pooling: one invocation per output; padding is ignored. */
export const maxPool2d: GpuKernel<'maxPool2d'> = ({ x }, { geometry: g }, gpu) => {
  const y = gpu.alloc(numel(g.yShape), 'maxPool2d');
  gpu.run(def, [x.data], [y], windowUniforms(g), g.batch * g.channels * g.outHeight * Math.ceil(g.outWidth / 4));
  return y;
};
