import type { GpuKernel } from '../backend.js';
import { WINDOW_UNIFORMS, windowUniforms } from '../conv_geometry.js';
import { MAX_WINDOW_WGSL } from '../pool_wgsl.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'maxPool2dBackward',
  inputs: ['dy', 'x'],
  outputs: ['dx'],
  uniforms: WINDOW_UNIFORMS,
  work: 'element',
  helpers: MAX_WINDOW_WGSL,
  // dx[ih, iw] = Σ dy over the windows that contain (ih, iw) and whose argmax it is
  body: /* wgsl */ `
  let idx = i32(i);
  let iw = idx % P.inW;
  let ih = (idx / P.inW) % P.inH;
  let plane = idx / (P.inW * P.inH);
  let own = ih * P.inW + iw;
  var acc = 0.0;
  for (var kh = 0; kh < P.kH; kh = kh + 1) {
    let th = ih + P.padTop - kh * P.dH;
    if (th < 0 || th % P.sH != 0 || th / P.sH >= P.outH) { continue; }
    for (var kw = 0; kw < P.kW; kw = kw + 1) {
      let tw = iw + P.padLeft - kw * P.dW;
      if (tw < 0 || tw % P.sW != 0 || tw / P.sW >= P.outW) { continue; }
      let oh = th / P.sH;
      let ow = tw / P.sW;
      if (windowMax(plane * P.inH * P.inW, oh, ow).offset == own) {
        acc = acc + dy[(plane * P.outH + oh) * P.outW + ow];
      }
    }
  }
  dx[i] = acc;`,
};

/** Routes each dy to its window's argmax, recomputed with the forward's rule; one invocation per dx element. */
export const maxPool2dBackward: GpuKernel<'maxPool2dBackward'> = ({ dy, x }, { geometry }, gpu) => {
  const n = numel(geometry.xShape);
  const dx = gpu.alloc(n, 'maxPool2dBackward');
  gpu.run(def, [dy.data, x.data], [dx], windowUniforms(geometry), n);
  return dx;
};
