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
      // a block of 4 output channels × 4 output columns per invocation: 16 accumulators fed by 4 x
      // loads and 4 w loads per tap (index arithmetic and loads amortized 16×)
      body: /* wgsl */ `
  let idx = i32(i);
  let owBlocks = (P.outW + 3) / 4;
  let coutG = P.outC / P.groups;
  let coBlocks = (coutG + 3) / 4;
  let owb = idx % owBlocks;
  let oh = (idx / owBlocks) % P.outH;
  let cob = (idx / (owBlocks * P.outH)) % coBlocks;
  let grp = (idx / (owBlocks * P.outH * coBlocks)) % P.groups;
  let n = idx / (owBlocks * P.outH * coBlocks * P.groups);
  let cinG = P.inC / P.groups;
  let co0 = grp * coutG + cob * 4;
  let coCount = min(4, coutG - cob * 4);
  let ow0 = owb * 4;
  let ih0 = oh * P.sH - P.padTop;
  let kArea = P.kH * P.kW;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var c = 0; c < cinG; c = c + 1) {
    let xPlane = (n * P.inC + grp * cinG + c) * P.inH * P.inW;
    let wBase = (co0 * cinG + c) * kArea;
    let wStride = cinG * kArea;
    for (var kh = 0; kh < P.kH; kh = kh + 1) {
      let ih = ih0 + kh * P.dH;
      if (ih < 0 || ih >= P.inH) { continue; }
      let row = xPlane + ih * P.inW;
      for (var kw = 0; kw < P.kW; kw = kw + 1) {
        let iw = ow0 * P.sW - P.padLeft + kw * P.dW;
        let xv = vec4f(${[0, 1, 2, 3].map((j) => `tap(row, iw + ${j} * P.sW)`).join(', ')});
        let t = wBase + kh * P.kW + kw;
        acc0 = acc0 + xv * w[t];
        if (coCount > 1) { acc1 = acc1 + xv * w[t + wStride]; }
        if (coCount > 2) { acc2 = acc2 + xv * w[t + 2 * wStride]; }
        if (coCount > 3) { acc3 = acc3 + xv * w[t + 3 * wStride]; }
      }
    }
  }
  ${[0, 1, 2, 3].map((r) => `if (coCount > ${r}) { store(n, co0 + ${r}, oh, ow0, acc${r}); }`).join('\n  ')}`,
      helpers: /* wgsl */ `
fn tap(row: i32, iw: i32) -> f32 {
  if (iw >= 0 && iw < P.inW) { return x[row + iw]; }
  return 0.0;
}
fn store(n: i32, co: i32, oh: i32, ow0: i32, acc: vec4f) {
  let yRow = ((n * P.outC + co) * P.outH + oh) * P.outW;
  for (var j = 0; j < 4; j = j + 1) {
    if (ow0 + j >= P.outW) { return; }
    var v = acc[j];
    ${hasBias ? 'v = v + b[co];' : ''}
    ${activation === 'relu' ? 'v = select(0.0, v, v > 0.0 || isNan(v));' : ''}
    y[yRow + ow0 + j] = v;
  }
}`,
    };
    defs.set(name, def);
  }
  return def;
}

/** Direct convolution (cross-correlation) in 4×4 output blocks, with optional bias and activation. */
export function convForward(
  gpu: WebGpuBackend, x: GpuData, w: GpuData, b: GpuData | undefined, geometry: Conv2dGeometry, activation: FusedActivation, op: string,
): GpuData {
  const y = gpu.alloc(numel(geometry.yShape), op);
  const g = geometry;
  const blocks = g.batch * g.groups * Math.ceil(g.outChannels / g.groups / 4) * g.outHeight * Math.ceil(g.outWidth / 4);
  gpu.run(convDef(b !== undefined, activation), b ? [x, w, b] : [x, w], [y], convUniforms(geometry), blocks);
  return y;
}

export const conv2d: GpuKernel<'conv2d'> = ({ x, w, b }, { geometry }, gpu) =>
  convForward(gpu, x.data, w.data, b?.data, geometry, 'none', 'conv2d');
