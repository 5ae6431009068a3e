import type { GpuKernel } from '../backend.js';
import { CONV_UNIFORMS, convUniforms } from '../conv_geometry.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'conv2dBackpropFilter',
  inputs: ['x', 'dy'],
  outputs: ['dw'],
  uniforms: CONV_UNIFORMS,
  work: 'group',
  // dw[co, cl, kh, kw] = Σ over (n, oh, ow) of x[n, ci, oh·sH − padTop + kh·dH, …] · dy[n, co, oh, ow]
  body: /* wgsl */ `
  let idx = i32(g);
  let kw = idx % P.kW;
  let kh = (idx / P.kW) % P.kH;
  let cinG = P.inC / P.groups;
  let cl = (idx / (P.kW * P.kH)) % cinG;
  let co = idx / (P.kW * P.kH * cinG);
  let ci = (co / (P.outC / P.groups)) * cinG + cl;
  let positions = P.batch * P.outH * P.outW;
  var acc = 0.0;
  for (var r = i32(lid); r < positions; r = r + i32(WG)) {
    let ow = r % P.outW;
    let oh = (r / P.outW) % P.outH;
    let n = r / (P.outW * P.outH);
    let ih = oh * P.sH - P.padTop + kh * P.dH;
    let iw = ow * P.sW - P.padLeft + kw * P.dW;
    if (ih >= 0 && ih < P.inH && iw >= 0 && iw < P.inW) {
      acc = acc + x[((n * P.inC + ci) * P.inH + ih) * P.inW + iw] * dy[((n * P.outC + co) * P.outH + oh) * P.outW + ow];
    }
  }
  let total = groupSum(vec4f(acc, 0.0, 0.0, 0.0), lid).x;
  if (lid == 0u) { dw[g] = total; }`,
};

/** Filter gradient: one workgroup per weight reduces over batch and output positions. */
export const conv2dBackpropFilter: GpuKernel<'conv2dBackpropFilter'> = ({ x, dy }, { geometry }, gpu) => {
  const n = numel(geometry.wShape);
  const dw = gpu.alloc(n, 'conv2dBackpropFilter');
  gpu.run(def, [x.data, dy.data], [dw], convUniforms(geometry), n);
  return dw;
};
