/**
 * Direct convolution for software and hardware adapters alike, built around vec4 loads (a software
 * adapter such as lavapipe gathers every load lane by lane, so one vec4 load costs about what one
 * scalar load does):
 * - the input is copied once into a zero-padded buffer whose rows are a multiple of 4 long, so the
 *   main loop has no bounds checks and reads aligned vec4 runs of a row;
 * - the weights are repacked as vec4 along output channels ([group, c, kh, kw, output block of 4]),
 *   so one load gives a tap's weights for 4 output channels (the same pass can flip and transpose
 *   them, which turns a stride-1 input gradient into a convolution of dy);
 * - an invocation computes 4 output channels × PX (8 or 4) output columns: per input channel and
 *   kernel row it loads the row's window once (ceil(span / 4) vec4s) and, per tap, one vec4 of
 *   weights for 4·PX multiply-adds. PX, kW, sW and dW are compile-time constants, so the window
 *   stays in registers.
 */
import type { FusedActivation } from '@hypercolumn/core';
import type { GpuData, WebGpuBackend } from './backend.js';
import { CONV_UNIFORMS } from './conv_geometry.js';
import { type ProgramDef, variant } from './shader.js';

/** A convolution over an NCHW input (cross-correlation; `groups` splits channels as in conv2d). */
export interface DirectConv {
  batch: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  groups: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  dH: number;
  dW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** Elements of one row's window: `px` output columns, all kW taps. */
export const windowSpan = (px: number, kW: number, sW: number, dW: number): number => (px - 1) * sW + (kW - 1) * dW + 1;

/**
 * Whether a kernel that writes out a row's window (one vec4 load per 4 elements, per image it reads)
 * and its px × kW multiply-add statements stays quick to compile. lavapipe compiles ~10 ms per
 * statement (kW 8: 0.7 s, kW 32: 3.3 s at px 8), and a stride of 65535 made 49,152 loads (5 s). Past
 * 128 statements or 32 loads (a very wide kernel, a huge stride or dilation) a loop kernel runs
 * instead; every layer of the benchmark (kW ≤ 9) stays unrolled.
 */
export const windowUnrolls = (px: number, kW: number, sW: number, dW: number, images = 1): boolean =>
  images * Math.ceil(windowSpan(px, kW, sW, dW) / 4) <= 32 && px * kW <= 128;

const padDef: ProgramDef = {
  name: 'conv_pad',
  inputs: ['x'],
  outputs: ['xp'],
  uniforms: { inH: 'i32', inW: 'i32', Hp: 'i32', Wp: 'i32', padTop: 'i32', padLeft: 'i32' },
  work: 'element',
  body: /* wgsl */ `
  let idx = i32(i);
  let col = idx % P.Wp;
  let row = (idx / P.Wp) % P.Hp;
  let plane = idx / (P.Wp * P.Hp);
  let ih = row - P.padTop;
  let iw = col - P.padLeft;
  var v = 0.0;
  if (ih >= 0 && ih < P.inH && iw >= 0 && iw < P.inW) { v = x[(plane * P.inH + ih) * P.inW + iw]; }
  xp[i] = v;`,
};

/**
 * wT[((grp·cinG + c)·kArea + tap)·4·coBlocks + o] = the weight from input channel c to output
 * channel o of group grp at tap (0 past the group's channels). `flip`: read w[grp·cinG + c, o]
 * at the mirrored tap instead of w[grp·coutG + o, c] (the input gradient's weights).
 */
const packDef: ProgramDef = {
  name: 'conv_pack_weights',
  inputs: ['w'],
  outputs: ['wT'],
  uniforms: { cinG: 'i32', coutG: 'i32', kArea: 'i32', coBlocks: 'i32', flip: 'u32' },
  work: 'element',
  body: /* wgsl */ `
  let idx = i32(i);
  let o = idx % (4 * P.coBlocks);
  let tap = (idx / (4 * P.coBlocks)) % P.kArea;
  let c = (idx / (4 * P.coBlocks * P.kArea)) % P.cinG;
  let grp = idx / (4 * P.coBlocks * P.kArea * P.cinG);
  var v = 0.0;
  if (o < P.coutG) {
    if (P.flip == 0u) { v = w[((grp * P.coutG + o) * P.cinG + c) * P.kArea + tap]; }
    else { v = w[((grp * P.cinG + c) * P.coutG + o) * P.kArea + P.kArea - 1 - tap]; }
  }
  wT[i] = v;`,
};

/** WGSL: element e of a row window held in vec4s v0, v1, … */
export const component = (e: number): string => `v${e >> 2}.${'xyzw'[e & 3]}`;

/** Rows (per plane) and row length (a multiple of 4) of a row-padded tensor. */
export interface PaddedPlanes {
  data: GpuData;
  rows: number;
  width: number;
}

/**
 * `planes` planes of x (inH × inW), shifted down by padTop and right by padLeft into planes of
 * `rows` × `width` (a multiple of 4), zero around: x itself when it already has that layout. A copy
 * is added to `temps` (the caller frees it after its dispatches).
 */
export function paddedPlanes(
  gpu: WebGpuBackend, op: string, x: GpuData, planes: number, inH: number, inW: number,
  rows: number, width: number, padTop: number, padLeft: number, temps: GpuData[],
): PaddedPlanes {
  if (padTop === 0 && padLeft === 0 && width === inW && rows <= inH) return { data: x, rows: inH, width };
  const xp = gpu.alloc(planes * rows * width, op);
  temps.push(xp);
  gpu.run(padDef, [x], [xp], { inH, inW, Hp: rows, Wp: width, padTop, padLeft }, planes * rows * width);
  return { data: xp, rows, width };
}

function directDef(PX: number, kW: number, sW: number, dW: number, hasBias: boolean, activation: FusedActivation): ProgramDef {
  const name = `conv_direct_${PX}_k${kW}_s${sW}_d${dW}${epilogueSuffix(hasBias, activation)}`;
  return variant(name, () => {
    const V = Math.ceil(windowSpan(PX, kW, sW, dW) / 4);
    const J = Array.from({ length: PX }, (_, j) => j);
    const taps = Array.from({ length: kW }, (_, kw) => /* wgsl */ `{
        let wv = w[wRow + ${kw} * P.coBlocks];
        ${J.map((j) => `acc${j} = acc${j} + wv * ${component(kw * dW + j * sW)};`).join('\n        ')}
      }`);
    return {
      inputs: hasBias ? ['x', 'w', 'b'] : ['x', 'w'],
      vec4Inputs: ['x', 'w'],
      outputs: ['y'],
      uniforms: { batch: 'i32', inC: 'i32', outC: 'i32', groups: 'i32', Hp: 'i32', Wp: 'i32', outH: 'i32', outW: 'i32', kH: 'i32', sH: 'i32', dH: 'i32', coBlocks: 'i32' },
      work: 'element',
      body: /* wgsl */ `
  let idx = i32(i);
  let owBlocks = (P.outW + ${PX - 1}) / ${PX};
  let owb = idx % owBlocks;
  let oh = (idx / owBlocks) % P.outH;
  let cob = (idx / (owBlocks * P.outH)) % P.coBlocks;
  let grp = (idx / (owBlocks * P.outH * P.coBlocks)) % P.groups;
  let n = idx / (owBlocks * P.outH * P.coBlocks * P.groups);
  let cinG = P.inC / P.groups;
  let row4 = P.Wp / 4;
  // acc_j: output column PX·owb + j, output channels 4·cob … 4·cob + 3 of the group
  ${J.map((j) => `var acc${j} = vec4f(0.0);`).join('\n  ')}
  for (var c = 0; c < cinG; c = c + 1) {
    let plane = (n * P.inC + grp * cinG + c) * P.Hp;
    for (var kh = 0; kh < P.kH; kh = kh + 1) {
      let at = (plane + oh * P.sH + kh * P.dH) * row4 + owb * ${(PX * sW) / 4};
      ${Array.from({ length: V }, (_, k) => `let v${k} = x[at + ${k}];`).join('\n      ')}
      let wRow = ((grp * cinG + c) * P.kH + kh) * ${kW} * P.coBlocks + cob;
      ${taps.join('\n      ')}
    }
  }
  let coutG = P.outC / P.groups;
  let co0 = grp * coutG + cob * 4;
  let coCount = min(4, coutG - cob * 4);
  ${J.map((j) => `store(n, co0, coCount, oh, owb * ${PX} + ${j}, acc${j});`).join('\n  ')}`,
      helpers: storeChannels(hasBias, activation),
    };
  });
}

/** The program-name part for what `storeChannels` adds after the sum: bias, activation. */
const epilogueSuffix = (hasBias: boolean, activation: FusedActivation): string => `${hasBias ? '_bias' : ''}${activation === 'none' ? '' : `_${activation}`}`;

/** WGSL `store`: output column ow of row oh, coCount channels from co0 (bias and activation applied). */
const storeChannels = (hasBias: boolean, activation: FusedActivation): string => /* wgsl */ `
fn store(n: i32, co0: i32, coCount: i32, oh: i32, ow: i32, acc: vec4f) {
  if (ow >= P.outW) { return; }
  for (var r = 0; r < coCount; r = r + 1) {
    var v = acc[r];
    ${hasBias ? 'v = v + b[co0 + r];' : ''}
    ${activation === 'relu' ? 'v = select(0.0, v, v > 0.0 || isNan(v));' : ''}
    y[((n * P.outC + co0 + r) * P.outH + oh) * P.outW + ow] = v;
  }
}`;

/**
 * Any geometry (see windowUnrolls): 4 output channels × one output column per invocation, every
 * tap a loop step, x read in place with bounds checks (no padded copy, which a huge stride would
 * make mostly gaps).
 */
function loopDef(hasBias: boolean, activation: FusedActivation): ProgramDef {
  const name = `conv_loop${epilogueSuffix(hasBias, activation)}`;
  return variant(name, () => ({
    inputs: hasBias ? ['x', 'w', 'b'] : ['x', 'w'],
    vec4Inputs: ['w'],
    outputs: ['y'],
    uniforms: { ...CONV_UNIFORMS, coBlocks: 'i32' },
    work: 'element',
    body: /* wgsl */ `
  let idx = i32(i);
  let ow = idx % P.outW;
  let oh = (idx / P.outW) % P.outH;
  let cob = (idx / (P.outW * P.outH)) % P.coBlocks;
  let grp = (idx / (P.outW * P.outH * P.coBlocks)) % P.groups;
  let n = idx / (P.outW * P.outH * P.coBlocks * P.groups);
  let cinG = P.inC / P.groups;
  var acc = vec4f(0.0);
  for (var c = 0; c < cinG; c = c + 1) {
    let plane = (n * P.inC + grp * cinG + c) * P.inH;
    for (var kh = 0; kh < P.kH; kh = kh + 1) {
      let ih = oh * P.sH - P.padTop + kh * P.dH;
      if (ih < 0 || ih >= P.inH) { continue; }
      let wRow = ((grp * cinG + c) * P.kH + kh) * P.kW * P.coBlocks + cob;
      for (var kw = 0; kw < P.kW; kw = kw + 1) {
        let iw = ow * P.sW - P.padLeft + kw * P.dW;
        if (iw >= 0 && iw < P.inW) { acc = acc + w[wRow + kw * P.coBlocks] * x[(plane + ih) * P.inW + iw]; }
      }
    }
  }
  let coutG = P.outC / P.groups;
  store(n, grp * coutG + cob * 4, min(4, coutG - cob * 4), oh, ow, acc);`,
    helpers: storeChannels(hasBias, activation),
  }));
}

/**
 * One output channel per group (a depthwise convolution, or the input gradient of a one-channel
 * input): vec4s over output channels would waste 3 of their 4 lanes, so here they run over 4 images
 * instead: an invocation computes PX output columns of one channel for 4 images, loading the 4
 * images' row windows and one weight per tap (the weight pack's first lane) for 4·PX useful
 * multiply-adds.
 */
function imagesDef(PX: number, kW: number, sW: number, dW: number, hasBias: boolean, activation: FusedActivation): ProgramDef {
  const name = `conv_direct_images_${PX}_k${kW}_s${sW}_d${dW}${epilogueSuffix(hasBias, activation)}`;
  return variant(name, () => {
    const V = Math.ceil(windowSpan(PX, kW, sW, dW) / 4);
    const J = Array.from({ length: PX }, (_, j) => j), I = [0, 1, 2, 3];
    const inImage = (m: number, e: number): string => component(e).replace(/^v/, `v${m}_`);
    const taps = Array.from({ length: kW }, (_, kw) => /* wgsl */ `{
        let wv = w[wRow + ${kw}].x;
        ${J.map((j) => `acc${j} = acc${j} + wv * vec4f(${I.map((m) => inImage(m, kw * dW + j * sW)).join(', ')});`).join('\n        ')}
      }`);
    return {
      inputs: hasBias ? ['x', 'w', 'b'] : ['x', 'w'],
      vec4Inputs: ['x', 'w'],
      outputs: ['y'],
      uniforms: { batch: 'i32', inC: 'i32', outC: 'i32', groups: 'i32', Hp: 'i32', Wp: 'i32', outH: 'i32', outW: 'i32', kH: 'i32', sH: 'i32', dH: 'i32' },
      work: 'element',
      body: /* wgsl */ `
  let idx = i32(i);
  let owBlocks = (P.outW + ${PX - 1}) / ${PX};
  let owb = idx % owBlocks;
  let oh = (idx / owBlocks) % P.outH;
  let grp = (idx / (owBlocks * P.outH)) % P.groups;
  let n0 = (idx / (owBlocks * P.outH * P.groups)) * 4;
  let cinG = P.inC / P.groups;
  let row4 = P.Wp / 4;
  // images past the batch re-read the last one (their sums are never stored)
  ${I.map((m) => `let image${m} = min(n0 + ${m}, P.batch - 1) * P.inC * P.Hp;`).join('\n  ')}
  // acc_j: output column PX·owb + j of images n0 … n0 + 3
  ${J.map((j) => `var acc${j} = vec4f(0.0);`).join('\n  ')}
  for (var c = 0; c < cinG; c = c + 1) {
    let plane = (grp * cinG + c) * P.Hp;
    for (var kh = 0; kh < P.kH; kh = kh + 1) {
      let rowAt = plane + oh * P.sH + kh * P.dH;
      ${I.map((m) => `let at${m} = (image${m} + rowAt) * row4 + owb * ${(PX * sW) / 4};
        ${Array.from({ length: V }, (_, k) => `let v${m}_${k} = x[at${m} + ${k}];`).join('\n      ')}`).join('\n      ')}
      let wRow = ((grp * cinG + c) * P.kH + kh) * ${kW};
      ${taps.join('\n      ')}
    }
  }
  ${J.map((j) => `store(n0, grp, oh, owb * ${PX} + ${j}, acc${j});`).join('\n  ')}`,
      helpers: /* wgsl */ `
fn store(n0: i32, co: i32, oh: i32, ow: i32, acc: vec4f) {
  if (ow >= P.outW) { return; }
  for (var m = 0; m < min(4, P.batch - n0); m = m + 1) {
    var v = acc[m];
    ${hasBias ? 'v = v + b[co];' : ''}
    ${activation === 'relu' ? 'v = select(0.0, v, v > 0.0 || isNan(v));' : ''}
    y[(((n0 + m) * P.outC + co) * P.outH + oh) * P.outW + ow] = v;
  }
}`,
    };
  });
}

/**
 * Runs convolution `c` of x with w (w as conv2d lays it out, or, with `flipWeights`, as the forward
 * convolution whose input gradient this is: [inC, outC / groups, kH, kW] read transposed and
 * mirrored). Returns y [batch, outC, outH, outW].
 */
export function directConv(
  gpu: WebGpuBackend, op: string, c: DirectConv, x: GpuData, w: GpuData, flipWeights: boolean,
  b?: GpuData, activation: FusedActivation = 'none',
): GpuData {
  const cinG = c.inC / c.groups, coutG = c.outC / c.groups, kArea = c.kH * c.kW;
  const coBlocks = Math.ceil(coutG / 4);
  // 8 output columns per invocation (more multiply-adds per load) unless that wastes more columns than 4 would
  const PX = Math.ceil(c.outW / 8) * 8 === Math.ceil(c.outW / 4) * 4 ? 8 : 4;
  const wT = gpu.alloc(c.groups * cinG * kArea * coBlocks * 4, op);
  gpu.run(packDef, [w], [wT], { cinG, coutG, kArea, coBlocks, flip: flipWeights ? 1 : 0 }, c.groups * cinG * kArea * coBlocks * 4);
  const y = gpu.alloc(c.batch * c.outC * c.outH * c.outW, op);
  // depthwise layers (one output channel per group) over a batch read 4 images' windows at once
  const images = coutG === 1 && c.batch > 1;
  if (!windowUnrolls(PX, c.kW, c.sW, c.dW, images ? 4 : 1)) {
    // DirectConv's fields are the uniforms' names (the loop reads no bottom or right padding)
    gpu.run(loopDef(b !== undefined, activation), b ? [x, wT, b] : [x, wT], [y], { ...c, padBottom: 0, padRight: 0, coBlocks },
      c.batch * c.groups * coBlocks * c.outH * c.outW);
    gpu.free(wT);
    return y;
  }
  const owBlocks = Math.ceil(c.outW / PX);
  const V = Math.ceil(windowSpan(PX, c.kW, c.sW, c.dW) / 4);
  // rows long enough for the last block's window, a multiple of 4; enough rows for every tap
  const Wp = Math.max((owBlocks - 1) * PX * c.sW + 4 * V, Math.ceil((c.inW + c.padLeft) / 4) * 4);
  const Hp = (c.outH - 1) * c.sH + (c.kH - 1) * c.dH + 1;
  const temps: GpuData[] = [wT];
  const xp = paddedPlanes(gpu, op, x, c.batch * c.inC, c.inH, c.inW, Hp, Wp, c.padTop, c.padLeft, temps);
  const uniforms = {
    batch: c.batch, inC: c.inC, outC: c.outC, groups: c.groups, Hp: xp.rows, Wp, outH: c.outH, outW: c.outW,
    kH: c.kH, sH: c.sH, dH: c.dH, coBlocks,
  };
  const inputs = b ? [xp.data, wT, b] : [xp.data, wT];
  if (images) {
    gpu.run(imagesDef(PX, c.kW, c.sW, c.dW, b !== undefined, activation), inputs, [y], uniforms, Math.ceil(c.batch / 4) * c.groups * c.outH * owBlocks);
  } else {
    gpu.run(directDef(PX, c.kW, c.sW, c.dW, b !== undefined, activation), inputs, [y], uniforms, c.batch * c.groups * coBlocks * c.outH * owBlocks);
  }
  for (const t of temps) gpu.free(t);
  return y;
}
