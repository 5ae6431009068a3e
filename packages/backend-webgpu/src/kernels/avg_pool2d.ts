import type { GpuKernel } from '../backend.js';
import { WINDOW_UNIFORMS, windowUniforms } from '../conv_geometry.js';
import { AVG_WINDOW_WGSL } from '../pool_wgsl.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'avgPool2d',
  inputs: ['x'],
  outputs: ['y'],
  uniforms: { ...WINDOW_UNIFORMS, countIncludePad: 'u32' },
  work: 'element',
  helpers: AVG_WINDOW_WGSL,
  body: /* wgsl */ `
  let idx = i32(i);
  let ow = idx % P.outW;
  let oh = (idx / P.outW) % P.outH;
  let plane = (idx / (P.outW * P.outH)) * P.inH * P.inW;
  let h = avgSpan(oh, P.sH, P.kH, P.padTop, P.padBottom, P.inH);
  let w = avgSpan(ow, P.sW, P.kW, P.padLeft, P.padRight, P.inW);
  var acc = 0.0;
  for (var ih = h.start; ih < h.end; ih = ih + 1) {
    for (var iw = w.start; iw < w.end; iw = iw + 1) { acc = acc + x[plane + ih * P.inW + iw]; }
  }
  y[i] = acc / avgDivisor(h, w);`,
};

/** Average pooling (dilation 1, as PyTorch), PyTorch's divisor rule; one invocation per output. */
export const avgPool2d: GpuKernel<'avgPool2d'> = ({ x }, { geometry, countIncludePad }, gpu) => {
  const n = numel(geometry.yShape);
  const y = gpu.alloc(n, 'avgPool2d');
  gpu.run(def, [x.data], [y], { ...windowUniforms(geometry), countIncludePad: countIncludePad ? 1 : 0 }, n);
  return y;
};
