import type { GpuKernel } from '../backend.js';
import { WINDOW_UNIFORMS, windowUniforms } from '../conv_geometry.js';
import { AVG_WINDOW_WGSL } from '../pool_wgsl.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'avgPool2dBackward',
  inputs: ['dy'],
  outputs: ['dx'],
  uniforms: { ...WINDOW_UNIFORMS, countIncludePad: 'u32' },
  work: 'element',
  helpers: AVG_WINDOW_WGSL,
  // dx[ih, iw] = Σ dy[oh, ow] / divisor over the windows whose clipped span contains (ih, iw)
  body: /* wgsl */ `
  let idx = i32(i);
  let iw = idx % P.inW;
  let ih = (idx / P.inW) % P.inH;
  let plane = idx / (P.inW * P.inH);
  let ohFirst = max(0, (ih + P.padTop - P.kH + P.sH) / P.sH);
  let ohLast = min(P.outH - 1, (ih + P.padTop) / P.sH);
  let owFirst = max(0, (iw + P.padLeft - P.kW + P.sW) / P.sW);
  let owLast = min(P.outW - 1, (iw + P.padLeft) / P.sW);
  var acc = 0.0;
  for (var oh = ohFirst; oh <= ohLast; oh = oh + 1) {
    let h = avgSpan(oh, P.sH, P.kH, P.padTop, P.padBottom, P.inH);
    if (ih < h.start || ih >= h.end) { continue; }
    for (var ow = owFirst; ow <= owLast; ow = ow + 1) {
      let w = avgSpan(ow, P.sW, P.kW, P.padLeft, P.padRight, P.inW);
      if (iw < w.start || iw >= w.end) { continue; }
      acc = acc + dy[(plane * P.outH + oh) * P.outW + ow] / avgDivisor(h, w);
    }
  }
  dx[i] = acc;`,
};

/** Average-pooling gradient: one invocation per dx element gathers the windows that cover it. */
export const avgPool2dBackward: GpuKernel<'avgPool2dBackward'> = ({ dy }, { geometry, countIncludePad }, gpu) => {
  const n = numel(geometry.xShape);
  const dx = gpu.alloc(n, 'avgPool2dBackward');
  gpu.run(def, [dy.data], [dx], { ...windowUniforms(geometry), countIncludePad: countIncludePad ? 1 : 0 }, n);
  return dx;
};
