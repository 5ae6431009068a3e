import type { GpuKernel } from '../backend.js';
import { CONV_UNIFORMS, convUniforms } from '../conv_geometry.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'conv2dBackpropInput',
  inputs: ['dy', 'w'],
  outputs: ['dx'],
  uniforms: CONV_UNIFORMS,
  work: 'element',
  // dx[n, ci, ih, iw] = Σ dy[n, co, oh, ow] · w[co, ci, kh, kw] over taps with oh·sH − padTop + kh·dH = ih
  body: /* wgsl */ `
  let idx = i32(i);
  let iw = idx % P.inW;
  let ih = (idx / P.inW) % P.inH;
  let ci = (idx / (P.inW * P.inH)) % P.inC;
  let n = idx / (P.inW * P.inH * P.inC);
  let cinG = P.inC / P.groups;
  let coutG = P.outC / P.groups;
  let co0 = (ci / cinG) * coutG;
  let cl = ci % cinG;
  var acc = 0.0;
  for (var kh = 0; kh < P.kH; kh = kh + 1) {
    let th = ih + P.padTop - kh * P.dH;
    if (th < 0 || th % P.sH != 0) { continue; }
    let oh = th / P.sH;
    if (oh >= P.outH) { continue; }
    for (var kw = 0; kw < P.kW; kw = kw + 1) {
      let tw = iw + P.padLeft - kw * P.dW;
      if (tw < 0 || tw % P.sW != 0) { continue; }
      let ow = tw / P.sW;
      if (ow >= P.outW) { continue; }
      for (var c = 0; c < coutG; c = c + 1) {
        let co = co0 + c;
        acc = acc + dy[((n * P.outC + co) * P.outH + oh) * P.outW + ow] * w[((co * cinG + cl) * P.kH + kh) * P.kW + kw];
      }
    }
  }
  dx[i] = acc;`,
};

/** Input gradient: one invocation per dx element gathers the taps that read it. */
export const conv2dBackpropInput: GpuKernel<'conv2dBackpropInput'> = ({ dy, w }, { geometry }, gpu) => {
  const n = numel(geometry.xShape);
  const dx = gpu.alloc(n, 'conv2dBackpropInput');
  gpu.run(def, [dy.data, w.data], [dx], convUniforms(geometry), n);
  return dx;
};
