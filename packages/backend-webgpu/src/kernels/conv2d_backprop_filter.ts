import type { GpuKernel } from '../backend.js';
import { CONV_UNIFORMS, convUniforms } from '../conv_geometry.js';
import type { ProgramDef } from '../shader.js';
import { numel } from '../util.js';

/*
 * dw[co, cl, kh, kw] = Σ over (n, oh, ow) of x[n, ci, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW]·dy[n, co, oh, ow].
 * Without workgroup barriers (very slow on software adapters): the positions (n, oh, ow) are split
 * into `chunks` runs, one invocation per (chunk, weight) sums its run serially into a partial, and a
 * second pass adds the partials of each weight. Chunks are chosen so that there are enough
 * invocations to fill a GPU, yet each run stays long enough to be worth it.
 */
const partialDef: ProgramDef = {
  name: 'conv2dBackpropFilter_partial',
  inputs: ['x', 'dy'],
  outputs: ['partial'],
  uniforms: { ...CONV_UNIFORMS, weights: 'i32', chunkLen: 'i32' },
  work: 'element',
  body: /* wgsl */ `
  let idx = i32(i);
  let wi = idx % P.weights;
  let chunk = idx / P.weights;
  let kw = wi % P.kW;
  let kh = (wi / P.kW) % P.kH;
  let cinG = P.inC / P.groups;
  let cl = (wi / (P.kW * P.kH)) % cinG;
  let co = wi / (P.kW * P.kH * cinG);
  let ci = (co / (P.outC / P.groups)) * cinG + cl;
  let positions = P.batch * P.outH * P.outW;
  let r0 = chunk * P.chunkLen;
  let r1 = min(positions, r0 + P.chunkLen);
  var ow = r0 % P.outW;
  var oh = (r0 / P.outW) % P.outH;
  var n = r0 / (P.outW * P.outH);
  var acc = 0.0;
  for (var r = r0; r < r1; r = r + 1) {
    let ih = oh * P.sH - P.padTop + kh * P.dH;
    let iw = ow * P.sW - P.padLeft + kw * P.dW;
    if (ih >= 0 && ih < P.inH && iw >= 0 && iw < P.inW) {
      acc = acc + x[((n * P.inC + ci) * P.inH + ih) * P.inW + iw] * dy[((n * P.outC + co) * P.outH + oh) * P.outW + ow];
    }
    ow = ow + 1;
    if (ow == P.outW) { ow = 0; oh = oh + 1; if (oh == P.outH) { oh = 0; n = n + 1; } }
  }
  partial[i] = acc;`,
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
  const positions = geometry.batch * geometry.outHeight * geometry.outWidth;
  const chunks = Math.max(1, Math.min(Math.ceil(TARGET_INVOCATIONS / weights), Math.floor(positions / MIN_CHUNK)));
  const chunkLen = Math.ceil(positions / chunks);
  const uniforms = { ...convUniforms(geometry), weights, chunkLen };
  const dw = gpu.alloc(weights, op);
  if (chunks === 1) {
    gpu.run(partialDef, [x.data, dy.data], [dw], uniforms, weights);
    return dw;
  }
  const partial = gpu.alloc(weights * chunks, op);
  gpu.run(partialDef, [x.data, dy.data], [partial], uniforms, weights * chunks);
  gpu.run(sumChunksDef, [partial], [dw], { weights, chunks }, weights);
  gpu.free(partial);
  return dw;
};
