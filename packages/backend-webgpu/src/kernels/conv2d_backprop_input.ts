import type { GpuKernel } from '../backend.js';
import { CONV_UNIFORMS, convUniforms } from '../conv_geometry.js';
import { directConv } from '../conv_direct.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

/*
 * dx[n, ci, ih, iw] = Σ dy[n, co, oh, ow]·w[co, cl, kh, kw] over the taps with
 * oh·sH − padTop + kh·dH = ih and ow·sW − padLeft + kw·dW = iw (co in ci's group, cl = ci within it).
 * The strided case (stride 1 is a convolution of dy, see below): a block of 4 input channels × 4 input
 * columns per invocation; per tap, 4 dy loads and 4 w loads feed 16 accumulators.
 */
const onGrid = (t: string, s: string, size: string) => `${t} < 0 || ${t} % P.${s} != 0 || ${t} / P.${s} >= P.${size}`;
const out = (t: string, s: string) => `${t} / P.${s}`;
const stridedDef: ProgramDef = {
  name: 'conv2dBackpropInput_strided',
  inputs: ['dy', 'w'],
  outputs: ['dx'],
  uniforms: CONV_UNIFORMS,
  work: 'element',
  helpers: /* wgsl */ `
// dy at output column tw / sW of row dyRow, or 0 where column tw is no tap (off the stride grid or outside)
fn dyTap(dyRow: i32, tw: i32) -> f32 {
  if (${onGrid('tw', 'sW', 'outW')}) { return 0.0; }
  return dy[dyRow + ${out('tw', 'sW')}];
}
fn store(n: i32, ci: i32, ih: i32, iw0: i32, acc: vec4f) {
  let row = ((n * P.inC + ci) * P.inH + ih) * P.inW;
  for (var j = 0; j < 4; j = j + 1) {
    if (iw0 + j >= P.inW) { return; }
    dx[row + iw0 + j] = acc[j];
  }
}`,
  body: /* wgsl */ `
  let idx = i32(i);
  let iwBlocks = (P.inW + 3) / 4;
  let cinG = P.inC / P.groups;
  let ciBlocks = (cinG + 3) / 4;
  let iwb = idx % iwBlocks;
  let ih = (idx / iwBlocks) % P.inH;
  let cib = (idx / (iwBlocks * P.inH)) % ciBlocks;
  let grp = (idx / (iwBlocks * P.inH * ciBlocks)) % P.groups;
  let n = idx / (iwBlocks * P.inH * ciBlocks * P.groups);
  let coutG = P.outC / P.groups;
  let cl0 = cib * 4;
  let ciCount = min(4, cinG - cl0);
  let iw0 = iwb * 4;
  let kArea = P.kH * P.kW;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var c = 0; c < coutG; c = c + 1) {
    let co = grp * coutG + c;
    let wBase = (co * cinG + cl0) * kArea;
    for (var kh = 0; kh < P.kH; kh = kh + 1) {
      let th = ih + P.padTop - kh * P.dH;
      if (${onGrid('th', 'sH', 'outH')}) { continue; }
      let dyRow = ((n * P.outC + co) * P.outH + ${out('th', 'sH')}) * P.outW;
      for (var kw = 0; kw < P.kW; kw = kw + 1) {
        let tw = iw0 + P.padLeft - kw * P.dW;
        let dv = vec4f(dyTap(dyRow, tw), dyTap(dyRow, tw + 1), dyTap(dyRow, tw + 2), dyTap(dyRow, tw + 3));
        let t = wBase + kh * P.kW + kw;
        acc0 = acc0 + dv * w[t];
        if (ciCount > 1) { acc1 = acc1 + dv * w[t + kArea]; }
        if (ciCount > 2) { acc2 = acc2 + dv * w[t + 2 * kArea]; }
        if (ciCount > 3) { acc3 = acc3 + dv * w[t + 3 * kArea]; }
      }
    }
  }
  let ci0 = grp * cinG + cl0;
  store(n, ci0, ih, iw0, acc0);
  if (ciCount > 1) { store(n, ci0 + 1, ih, iw0, acc1); }
  if (ciCount > 2) { store(n, ci0 + 2, ih, iw0, acc2); }
  if (ciCount > 3) { store(n, ci0 + 3, ih, iw0, acc3); }`,
};

/**
 * Input gradient. Stride 1: a convolution of dy with the transposed, mirrored weights and padding
 * (k − 1)·d − pad (the direct vec4 kernel). Otherwise each invocation gathers the taps that read its
 * 4 × 4 block of dx.
 */
export const conv2dBackpropInput: GpuKernel<'conv2dBackpropInput'> = ({ dy, w }, { geometry: g }, gpu) => {
  if (g.strideHeight === 1 && g.strideWidth === 1) {
    return directConv(gpu, 'conv2dBackpropInput', {
      batch: g.batch, inC: g.outChannels, inH: g.outHeight, inW: g.outWidth, outC: g.inChannels, groups: g.groups,
      kH: g.kernelHeight, kW: g.kernelWidth, sH: 1, sW: 1, dH: g.dilationHeight, dW: g.dilationWidth,
      padTop: (g.kernelHeight - 1) * g.dilationHeight - g.padTop, padLeft: (g.kernelWidth - 1) * g.dilationWidth - g.padLeft,
      outH: g.inHeight, outW: g.inWidth,
    }, dy.data, w.data, true);
  }
  const dx = gpu.alloc(numel(g.xShape), 'conv2dBackpropInput');
  const cinG = g.inChannels / g.groups;
  const blocks = g.batch * g.groups * Math.ceil(cinG / 4) * g.inHeight * Math.ceil(g.inWidth / 4);
  gpu.run(stridedDef, [dy.data, w.data], [dx], convUniforms(g), blocks);
  return dx;
};
