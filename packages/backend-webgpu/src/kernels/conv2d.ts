import type { Conv2dGeometry, FusedActivation } from '@hypercolumn/core';
import type { GpuData, GpuKernel, WebGpuBackend } from '../backend.js';
import { CONV_UNIFORMS, convUniforms } from '../conv_geometry.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

const defs = new Map<string, ProgramDef>();
function convDef(hasBias: boolean, activation: FusedActivation): ProgramDef {
  const name = `conv2d${hasBias ? '_bias' : ''}${activation === 'none' ? '' : `_${activation}`}`;
  let def = defs.get(name);
  if (!def) {
    def = {
      name,
      inputs: hasBias ? ['x', 'w', 'b'] : ['x', 'w'],
      outputs: ['y'],
      uniforms: CONV_UNIFORMS,
      work: 'element',
      body: /* wgsl */ `
  let idx = i32(i);
  let ow = idx % P.outW;
  let oh = (idx / P.outW) % P.outH;
  let co = (idx / (P.outW * P.outH)) % P.outC;
  let n = idx / (P.outW * P.outH * P.outC);
  let cinG = P.inC / P.groups;
  let ci0 = (co / (P.outC / P.groups)) * cinG;
  let ih0 = oh * P.sH - P.padTop;
  let iw0 = ow * P.sW - P.padLeft;
  var acc = 0.0;
  for (var c = 0; c < cinG; c = c + 1) {
    let xPlane = (n * P.inC + ci0 + c) * P.inH * P.inW;
    let wBase = (co * cinG + c) * P.kH * P.kW;
    for (var kh = 0; kh < P.kH; kh = kh + 1) {
      let ih = ih0 + kh * P.dH;
      if (ih < 0 || ih >= P.inH) { continue; }
      for (var kw = 0; kw < P.kW; kw = kw + 1) {
        let iw = iw0 + kw * P.dW;
        if (iw < 0 || iw >= P.inW) { continue; }
        acc = acc + x[xPlane + ih * P.inW + iw] * w[wBase + kh * P.kW + kw];
      }
    }
  }
  ${hasBias ? 'acc = acc + b[co];' : ''}
  ${activation === 'relu' ? 'acc = select(0.0, acc, acc > 0.0 || isNan(acc));' : ''}
  y[i] = acc;`,
    };
    defs.set(name, def);
  }
  return def;
}

/** Direct convolution (cross-correlation), one invocation per output element, with optional bias and activation. */
export function convForward(
  gpu: WebGpuBackend, x: GpuData, w: GpuData, b: GpuData | undefined, geometry: Conv2dGeometry, activation: FusedActivation, op: string,
): GpuData {
  const n = numel(geometry.yShape);
  const y = gpu.alloc(n, op);
  gpu.run(convDef(b !== undefined, activation), b ? [x, w, b] : [x, w], [y], convUniforms(geometry), n);
  return y;
}

export const conv2d: GpuKernel<'conv2d'> = ({ x, w, b }, { geometry }, gpu) =>
  convForward(gpu, x.data, w.data, b?.data, geometry, 'none', 'conv2d');
