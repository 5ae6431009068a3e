import type { GpuKernel } from '../backend.js';
import { CONV_UNIFORMS, convUniforms } from '../conv_geometry.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

/*
 * dw[co, cl, kh, kw] = Σ over (n, oh, ow) of x[n, ci, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW]·dy[n, co, oh, ow].
 * Without workgroup barriers (very slow on software adapters): the positions (n, oh, ow) are split
 * into `chunks` runs, one invocation per (chunk, 4 × 4 block of weights) sums its run serially into
 * partials, and a second pass adds the partials of each weight. Chunks are chosen so that there are enough
 * invocations to fill a GPU, yet each run stays long enough to be worth it.
 */
const partialDef: ProgramDef = {
  name: 'conv2dBackpropFilter_partial',
  inputs: ['x', 'dy'],
  outputs: ['partial'],
  uniforms: { ...CONV_UNIFORMS, weights: 'i32', weightBlocks: 'i32', chunkLen: 'i32' },
  work: 'element',
  // one invocation per (chunk, block of 4 output × 4 input channels at one tap (kh, kw)): per
  // position 4 x loads and 4 dy loads feed 16 accumulators (acc_r[k]: output channel r, input k)
  helpers: /* wgsl */ `
fn load4(buf: ptr<storage, array<f32>, read>, base: i32, stride: i32, count: i32) -> vec4f {
  var v = vec4f((*buf)[base], 0.0, 0.0, 0.0);
  if (count > 1) { v.y = (*buf)[base + stride]; }
  if (count > 2) { v.z = (*buf)[base + 2 * stride]; }
  if (count > 3) { v.w = (*buf)[base + 3 * stride]; }
  return v;
}
fn store4(at: i32, co: i32, cinG: i32, cl0: i32, tap: i32, count: i32, acc: vec4f) {
  let kArea = P.kH * P.kW;
  for (var k = 0; k < count; k = k + 1) { partial[at + (co * cinG + cl0 + k) * kArea + tap] = acc[k]; }
}`,
  body: /* wgsl */ `
  let idx = i32(i);
  let wb = idx % P.weightBlocks;
  let chunk = idx / P.weightBlocks;
  let cinG = P.inC / P.groups;
  let coutG = P.outC / P.groups;
  let ciBlocks = (cinG + 3) / 4;
  let coBlocks = (coutG + 3) / 4;
  let kw = wb % P.kW;
  let kh = (wb / P.kW) % P.kH;
  let clb = (wb / (P.kW * P.kH)) % ciBlocks;
  let cob = (wb / (P.kW * P.kH * ciBlocks)) % coBlocks;
  let grp = wb / (P.kW * P.kH * ciBlocks * coBlocks);
  let co0 = grp * coutG + cob * 4;
  let coCount = min(4, coutG - cob * 4);
  let cl0 = clb * 4;
  let ciCount = min(4, cinG - cl0);
  let ci0 = grp * cinG + cl0;
  let xPlane = P.inH * P.inW;
  let yPlane = P.outH * P.outW;
  let positions = P.batch * yPlane;
  let r0 = chunk * P.chunkLen;
  let r1 = min(positions, r0 + P.chunkLen);
  var ow = r0 % P.outW;
  var oh = (r0 / P.outW) % P.outH;
  var n = r0 / yPlane;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var r = r0; r < r1; r = r + 1) {
    let ih = oh * P.sH - P.padTop + kh * P.dH;
    let iw = ow * P.sW - P.padLeft + kw * P.dW;
    if (ih >= 0 && ih < P.inH && iw >= 0 && iw < P.inW) {
      let xv = load4(&x, ((n * P.inC + ci0) * P.inH + ih) * P.inW + iw, xPlane, ciCount);
      let dv = load4(&dy, ((n * P.outC + co0) * P.outH + oh) * P.outW + ow, yPlane, coCount);
      acc0 = acc0 + dv.x * xv;
      acc1 = acc1 + dv.y * xv;
      acc2 = acc2 + dv.z * xv;
      acc3 = acc3 + dv.w * xv;
    }
    ow = ow + 1;
    if (ow == P.outW) { ow = 0; oh = oh + 1; if (oh == P.outH) { oh = 0; n = n + 1; } }
  }
  let at = chunk * P.weights;
  let tap = kh * P.kW + kw;
  store4(at, co0, cinG, cl0, tap, ciCount, acc0);
  if (coCount > 1) { store4(at, co0 + 1, cinG, cl0, tap, ciCount, acc1); }
  if (coCount > 2) { store4(at, co0 + 2, cinG, cl0, tap, ciCount, acc2); }
  if (coCount > 3) { store4(at, co0 + 3, cinG, cl0, tap, ciCount, acc3); }`,
};

const sumChunksDef: ProgramDef = {
  name: 'conv2dBackpropFilter_sum',
  inputs: ['partial'],
  outputs: ['dw'],
  uniforms: { weights: 'u32', chunks: 'u32' },
  work: 'element',
  body: /* wgsl */ `
  var acc = 0.0;
  for (var k = 0u; k < P.chunks; k = k + 1u) { acc = acc + partial[k * P.weights + i]; }
  dw[i] = acc;`,
};

/** Invocations to aim for (enough to fill a GPU), and the shortest run worth its own invocation. */
const TARGET_INVOCATIONS = 16384;
const MIN_CHUNK = 64;

export const conv2dBackpropFilter: GpuKernel<'conv2dBackpropFilter'> = ({ x, dy }, { geometry }, gpu) => {
  const op = 'conv2dBackpropFilter';
  const weights = numel(geometry.wShape);
  const g = geometry;
  const positions = g.batch * g.outHeight * g.outWidth;
  const cinG = g.inChannels / g.groups, coutG = g.outChannels / g.groups;
  const weightBlocks = g.groups * Math.ceil(coutG / 4) * Math.ceil(cinG / 4) * g.kernelHeight * g.kernelWidth;
  const chunks = Math.max(1, Math.min(Math.ceil(TARGET_INVOCATIONS / weightBlocks), Math.floor(positions / MIN_CHUNK)));
  const chunkLen = Math.ceil(positions / chunks);
  const uniforms = { ...convUniforms(g), weights, weightBlocks, chunkLen };
  const dw = gpu.alloc(weights, op);
  if (chunks === 1) {
    gpu.run(partialDef, [x.data, dy.data], [dw], uniforms, weightBlocks);
    return dw;
  }
  const partial = gpu.alloc(weights * chunks, op);
  gpu.run(partialDef, [x.data, dy.data], [partial], uniforms, weightBlocks * chunks);
  gpu.run(sumChunksDef, [partial], [dw], { weights, chunks }, weights);
  gpu.free(partial);
  return dw;
};
