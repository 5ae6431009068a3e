import type { GpuData, GpuKernel, WebGpuBackend } from '../backend.js';
import { CONV_UNIFORMS, convUniforms } from '../conv_geometry.js';
import { component, paddedPlanes, windowSpan, windowUnrolls } from '../conv_direct.js';
import { type ProgramDef, variant } from '../shader.js';
import { numel } from '../util.js';

/*
 * dw[co, cl, kh, kw] = Σ over (n, oh, ow) of x[n, ci, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW]·dy[n, co, oh, ow].
 * x is read from the row-padded copy the direct convolution uses (aligned vec4 windows, no bounds
 * checks) and dy as vec4 runs of 4 output columns (rows padded to a multiple of 4 with zeros, which
 * add nothing). An invocation owns 4 output channels × one input channel × one kernel row, all kW
 * taps: per block of 4 positions, 4 dy loads and ceil(span / 4) x loads feed 16·kW multiply-adds.
 * Without workgroup barriers (very slow on software adapters): the position blocks are split into
 * `chunks` runs summed serially into partials, and a second pass adds each weight's partials.
 */
function filterGradDef(kW: number, sW: number, dW: number): ProgramDef {
  const name = `conv2dBackpropFilter_k${kW}_s${sW}_d${dW}`;
  return variant(name, () => {
    const V = Math.ceil(windowSpan(4, kW, sW, dW) / 4);
    const R = [0, 1, 2, 3], K = Array.from({ length: kW }, (_, kw) => kw);
    return {
      inputs: ['x', 'dy'],
      vec4Inputs: ['x', 'dy'],
      outputs: ['partial'],
      uniforms: {
        batch: 'i32', inC: 'i32', outC: 'i32', groups: 'i32', xRows: 'i32', xWidth: 'i32', outH: 'i32', dyWidth: 'i32',
        owBlocks: 'i32', kH: 'i32', sH: 'i32', dH: 'i32', coBlocks: 'i32', tasks: 'i32', weights: 'i32', chunkLen: 'i32',
      },
      work: 'element',
      body: /* wgsl */ `
  let idx = i32(i);
  let task = idx % P.tasks;
  let chunk = idx / P.tasks;
  let cinG = P.inC / P.groups;
  let coutG = P.outC / P.groups;
  let kh = task % P.kH;
  let cl = (task / P.kH) % cinG;
  let cob = (task / (P.kH * cinG)) % P.coBlocks;
  let grp = task / (P.kH * cinG * P.coBlocks);
  let co0 = grp * coutG + cob * 4;
  let coCount = min(4, coutG - cob * 4);
  let ci = grp * cinG + cl;
  let xRow4 = P.xWidth / 4;
  let dyRow4 = P.dyWidth / 4;
  let dyPlane4 = P.outH * dyRow4;
  // dy planes of channels past the group's last re-read the last one (their sums are never stored)
  ${R.map((r) => `let dyOff${r} = min(${r}, coCount - 1) * dyPlane4;`).join('\n  ')}
  let positions = P.batch * P.outH * P.owBlocks;
  let r0 = chunk * P.chunkLen;
  let r1 = min(positions, r0 + P.chunkLen);
  var owb = r0 % P.owBlocks;
  var oh = (r0 / P.owBlocks) % P.outH;
  var n = r0 / (P.owBlocks * P.outH);
  ${R.flatMap((r) => K.map((kw) => `var a${r}_${kw} = 0.0;`)).join('\n  ')}
  for (var r = r0; r < r1; r = r + 1) {
    let xAt = ((n * P.inC + ci) * P.xRows + oh * P.sH + kh * P.dH) * xRow4 + owb * ${sW};
    ${Array.from({ length: V }, (_, k) => `let v${k} = x[xAt + ${k}];`).join('\n    ')}
    let dyAt = ((n * P.outC + co0) * P.outH + oh) * dyRow4 + owb;
    ${R.map((r) => `let d${r} = dy[dyAt + dyOff${r}];`).join('\n    ')}
    ${K.map((kw) => `{
        let xs = vec4f(${R.map((j) => component(kw * dW + j * sW)).join(', ')});
        ${R.map((r) => `a${r}_${kw} = a${r}_${kw} + dot(d${r}, xs);`).join('\n      ')}
      }`).join('\n    ')}
    owb = owb + 1;
    if (owb == P.owBlocks) { owb = 0; oh = oh + 1; if (oh == P.outH) { oh = 0; n = n + 1; } }
  }
  let at = chunk * P.weights + (co0 * cinG + cl) * P.kH * ${kW} + kh * ${kW};
  let coStride = cinG * P.kH * ${kW};
  ${R.map((r) => `if (${r} < coCount) {
      ${K.map((kw) => `partial[at + ${r} * coStride + ${kw}] = a${r}_${kw};`).join('\n    ')}
    }`).join('\n  ')}`,
    };
  });
}

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

/**
 * Any geometry (see windowUnrolls): one weight per invocation, summing its chunk of the (n, oh, ow)
 * positions with x read in place and bounds-checked.
 */
const loopDef: ProgramDef = {
  name: 'conv2dBackpropFilter_loop',
  inputs: ['x', 'dy'],
  outputs: ['partial'],
  uniforms: { ...CONV_UNIFORMS, weights: 'i32', chunkLen: 'i32' },
  work: 'element',
  body: /* wgsl */ `
  let idx = i32(i);
  let wi = idx % P.weights;
  let chunk = idx / P.weights;
  let cinG = P.inC / P.groups;
  let kw = wi % P.kW;
  let kh = (wi / P.kW) % P.kH;
  let cl = (wi / (P.kW * P.kH)) % cinG;
  let co = wi / (P.kW * P.kH * cinG);
  let ci = (co / (P.outC / P.groups)) * cinG + cl;
  let r0 = chunk * P.chunkLen;
  let r1 = min(P.batch * P.outH * P.outW, r0 + P.chunkLen);
  var acc = 0.0;
  for (var r = r0; r < r1; r = r + 1) {
    let ow = r % P.outW;
    let oh = (r / P.outW) % P.outH;
    let n = r / (P.outW * P.outH);
    let ih = oh * P.sH - P.padTop + kh * P.dH;
    let iw = ow * P.sW - P.padLeft + kw * P.dW;
    if (ih >= 0 && ih < P.inH && iw >= 0 && iw < P.inW) {
      acc = acc + x[((n * P.inC + ci) * P.inH + ih) * P.inW + iw] * dy[((n * P.outC + co) * P.outH + oh) * P.outW + ow];
    }
  }
  partial[chunk * P.weights + wi] = acc;`,
};

/** Invocations to aim for (enough to fill a GPU), and the shortest run (in blocks of 4 positions) worth its own invocation. */
const TARGET_INVOCATIONS = 16384;
const MIN_CHUNK = 16;

/** Splits `positions` into chunks for `tasks` invocations each; partial sums land in a temporary (or dw itself for one chunk). */
function chunked(gpu: WebGpuBackend, op: string, tasks: number, positions: number, weights: number) {
  const chunks = Math.max(1, Math.min(Math.ceil(TARGET_INVOCATIONS / tasks), Math.floor(positions / MIN_CHUNK)));
  const dw = gpu.alloc(weights, op);
  return { chunks, chunkLen: Math.ceil(positions / chunks), dw, partial: chunks === 1 ? dw : gpu.alloc(weights * chunks, op) };
}

/** Adds each weight's partial sums into dw (when there are several chunks) and frees the temporaries. */
function finish(gpu: WebGpuBackend, weights: number, { chunks, dw, partial }: ReturnType<typeof chunked>, temps: GpuData[]): GpuData {
  if (partial !== dw) {
    gpu.run(sumChunksDef, [partial], [dw], { weights, chunks }, weights);
    temps.push(partial);
  }
  for (const t of temps) gpu.free(t);
  return dw;
}

export const conv2dBackpropFilter: GpuKernel<'conv2dBackpropFilter'> = ({ x, dy }, { geometry: g }, gpu) => {
  const op = 'conv2dBackpropFilter';
  const weights = numel(g.wShape);
  // each tap holds 4 accumulators of its own: past 16 taps they spill, and lavapipe took 4 s to compile 32
  if (!windowUnrolls(4, g.kernelWidth, g.strideWidth, g.dilationWidth) || g.kernelWidth > 16) {
    const run = chunked(gpu, op, weights, g.batch * g.outHeight * g.outWidth, weights);
    gpu.run(loopDef, [x.data, dy.data], [run.partial], { ...convUniforms(g), weights, chunkLen: run.chunkLen }, weights * run.chunks);
    return finish(gpu, weights, run, []);
  }
  const cinG = g.inChannels / g.groups, coutG = g.outChannels / g.groups, coBlocks = Math.ceil(coutG / 4);
  const owBlocks = Math.ceil(g.outWidth / 4);
  const V = Math.ceil(windowSpan(4, g.kernelWidth, g.strideWidth, g.dilationWidth) / 4);
  const temps: GpuData[] = [];
  const xp = paddedPlanes(gpu, op, x.data, g.batch * g.inChannels, g.inHeight, g.inWidth,
    (g.outHeight - 1) * g.strideHeight + (g.kernelHeight - 1) * g.dilationHeight + 1,
    Math.max((owBlocks - 1) * 4 * g.strideWidth + 4 * V, Math.ceil((g.inWidth + g.padLeft) / 4) * 4), g.padTop, g.padLeft, temps);
  const dyp = paddedPlanes(gpu, op, dy.data, g.batch * g.outChannels, g.outHeight, g.outWidth, g.outHeight, owBlocks * 4, 0, 0, temps);
  const tasks = g.groups * coBlocks * cinG * g.kernelHeight;
  const run = chunked(gpu, op, tasks, g.batch * g.outHeight * owBlocks, weights);
  gpu.run(filterGradDef(g.kernelWidth, g.strideWidth, g.dilationWidth), [xp.data, dyp.data], [run.partial], {
    batch: g.batch, inC: g.inChannels, outC: g.outChannels, groups: g.groups, xRows: xp.rows, xWidth: xp.width, outH: g.outHeight,
    dyWidth: dyp.width, owBlocks, kH: g.kernelHeight, sH: g.strideHeight, dH: g.dilationHeight, coBlocks, tasks, weights, chunkLen: run.chunkLen,
  }, tasks * run.chunks);
  return finish(gpu, weights, run, temps);
};
