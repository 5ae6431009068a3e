import type { Conv2dGeometry } from '@hypercolumn/core';
import type { WasmBackend, WasmBuffer } from './backend.js';

/** Output-channel block of the blocked kernel; groups with fewer channels use the pixel kernel. */
const BLOCK = 8;
/** Bytes of packed weights (or of one image's input) that stay in cache between work units. */
const WEIGHTS_IN_CACHE = 512 * 1024;

/**
 * A zero-padding still to do (padDilate): src [planes, H, W] to dst(u, v) = src(h, w) with
 * u = h·sy + offY, v = w·sx + offX in the pass's padded input.
 */
interface PendingPad {
  src: number;
  H: number;
  W: number;
  offY: number;
  offX: number;
  sy: number;
  sx: number;
}

/** Runs a pending padding of `planes` planes into xp [planes, Hp, Wp]. */
function runPad(b: WasmBackend, pad: PendingPad, xp: number, Hp: number, Wp: number, planes: number): void {
  b.exec('padDilate', [pad.src, xp, pad.H, pad.W, Hp, Wp, pad.offY, pad.offX, pad.sy, pad.sx], planes, Hp * Wp);
}

interface ConvPass {
  /** padded input [N, C, Hp, Wp], or where `pad` is to write it */
  xp: number;
  pad: PendingPad | null;
  Hp: number;
  Wp: number;
  C: number;
  /** OIHW weights of the original conv; `flip` runs the transposed, tap-reversed convolution */
  w: WasmBuffer;
  flip: boolean;
  bias: number;
  y: number;
  Cout: number;
  OH: number;
  OW: number;
  cinG: number;
  coutG: number;
  stride: [number, number];
}

/** One direct convolution pass: packs the weights, pads the input, then runs the kernel. */
function runConv(b: WasmBackend, g: Conv2dGeometry, p: ConvPass, relu: boolean): void {
  const { groups: G, kernelHeight: kh, kernelWidth: kw, dilationHeight: dh, dilationWidth: dw } = g;
  // Unit stride: rows of a multiple of 8 pixels (or groups of 4–7 channels) in tiles of 4 channels ×
  // 8 pixels; other planes of 2 rows or more, with 8 channels or more per group, in tiles of 8
  // channels × 2 rows × 2 pixels (no lanes lost on ragged rows such as 14 or 7 pixels). Other strides: 8
  // channels × 4 pixels. Few channels per group (depthwise): pixels only, 4 rows × 8 at a time where
  // they fit (unit width stride, row stride = row dilation).
  const unit = p.stride[1] === 1;
  const pixelRows = unit && p.stride[0] === dh && p.OH >= 4 && p.OW >= 8;
  const pairs = unit && p.coutG >= BLOCK && p.OW >= 2 && p.OH >= 2 && p.OW % 8 !== 0;
  const rows = unit && p.coutG >= 4 && !pairs && !(pixelRows && p.coutG < BLOCK && p.coutG % 4 !== 0);
  const blocked = !unit && p.coutG >= BLOCK;
  const pixelTiles = pixelRows && !rows && !pairs && !blocked;
  const block = rows ? 4 : pairs || blocked ? BLOCK : 1;
  const blocks = Math.ceil(p.coutG / block);
  const taps = p.cinG * kh * kw;
  // packed once per weight tensor and layout, kept until the weights are freed
  const packArgs = [G, p.flip ? p.cinG : p.coutG, p.flip ? p.coutG : p.cinG, kh, kw, block, p.flip ? 1 : 0];
  const packed = block === 1 && !p.flip ? null
    : b.derived(p.w, `packWeights ${packArgs.join(' ')}`, G * blocks * block * taps * 4, (ptr) => b.call('packWeights', [p.w.ptr, ptr, ...packArgs]));
  const args = [
    p.xp, p.Hp, p.Wp, p.C, packed ? packed.ptr : p.w.ptr, p.bias, p.y, p.Cout, p.OH, p.OW,
    G, p.cinG, p.coutG, kh, kw, p.stride[0], p.stride[1], dh, dw, relu ? 1 : 0,
  ];
  const N = g.batch;
  // The pixel-row tiles pad image by image themselves, each thread the images it convolves, where
  // there are images enough to share among the threads.
  const pad = p.pad;
  const padEach = pad !== null && pixelTiles && N >= 8 * b.threads;
  if (pad && !padEach) runPad(b, pad, p.xp, p.Hp, p.Wp, N * p.C);
  // weights past L2's share (each output row would stream them all), input small: rows first
  const rowsFirst = G * blocks * block * taps * 4 > WEIGHTS_IN_CACHE && p.C * p.Hp * p.Wp * 4 <= WEIGHTS_IN_CACHE;
  if (rows) {
    const rowArgs = [...args.slice(0, 15), p.stride[0], dh, dw, relu ? 1 : 0];
    if (p.OW >= 8) b.exec('convRows', [...rowArgs, rowsFirst ? 1 : 0], N * G * blocks * p.OH, p.OW * 4 * taps * 2);
    else b.exec('convRowsNarrow', rowArgs, N * G * blocks * p.OH, p.OW * 4 * taps * 2);
  } else if (pairs) {
    // chunks of about one pair of rows' tiles
    const rowPairs = Math.ceil(p.OW / 2);
    const chunk = Math.max(1, Math.round(rowPairs / 2));
    const chunks = Math.ceil((Math.ceil(p.OH / 2) * rowPairs) / chunk);
    const pairArgs = [...args.slice(0, 15), p.stride[0], dh, dw, relu ? 1 : 0, chunk, rowsFirst ? 1 : 0];
    b.exec('convPairs', pairArgs, N * G * blocks * chunks, chunk * 4 * BLOCK * taps * 2);
  } else if (blocked) b.exec('convBlocked', args, N * G * blocks * p.OH, p.OW * BLOCK * taps * 2);
  else if (pixelTiles) {
    const rowArgs = [...args.slice(0, 15), p.stride[0], dh, dw, relu ? 1 : 0];
    const groups = Math.ceil(p.OH / 4), groupCost = 4 * p.OW * taps * 2;
    if (pad && padEach) {
      const padArgs = [pad.src, pad.H, pad.W, pad.offY, pad.offX, pad.sy, pad.sx];
      b.exec('padConvPixelRows', [...padArgs, ...rowArgs], N, p.Cout * groups * groupCost);
    } else b.exec('convPixelRows', rowArgs, N * p.Cout * groups, groupCost);
  } else b.exec('convPixels', args, N * p.Cout * p.OH, p.OW * taps * 2);
}

/**
 * Room for x zero-padded to [N, C, H + pt + pb, W + pl + pr] and the padding to do (x itself and
 * none when there is no padding).
 */
function paddedInput(b: WasmBackend, x: WasmBuffer, g: Conv2dGeometry): { xp: WasmBuffer; Hp: number; Wp: number; pad: PendingPad | null } {
  const Hp = g.inHeight + g.padTop + g.padBottom, Wp = g.inWidth + g.padLeft + g.padRight;
  if (Hp === g.inHeight && Wp === g.inWidth) return { xp: x, Hp, Wp, pad: null };
  const xp = b.scratch(g.batch * g.inChannels * Hp * Wp * 4);
  return { xp, Hp, Wp, pad: { src: x.ptr, H: g.inHeight, W: g.inWidth, offY: g.padTop, offX: g.padLeft, sy: 1, sx: 1 } };
}

/**
 * Whether the transforms of a Winograd layer see only finite values: every |output| stays under
 * growth·max|x|·max|w| (max|w| stored after the transformed weights, +Inf if one is not finite), and
 * a non-finite input would make Inf − Inf there. Undefined where work is queued (the bound needs
 * max|x| now): the caller runs the direct kernels then, as it does on false.
 */
function transformsStayFinite(b: WasmBackend, x: WasmBuffer, count: number, U: WasmBuffer, transformed: number, growth: number): boolean {
  const xMax = b.callNow('maxMagnitude', [x.ptr, count]);
  if (xMax === undefined) return false;
  const wMax = new Float32Array(b.wasmMemory.buffer, U.ptr + transformed * 4, 1)[0]!;
  return growth * xMax * wMax < 1e37;
}

/**
 * Winograd F(2×2, 3×3) (assembly/winograd.ts) for 3×3 stride-1 layers of at least 64 input and
 * output channels, one group: 2.25× fewer multiply-adds, the products on the 1×1 row kernel, while the
 * two transforms (per tile and channel, not per channel pair) stay small beside them (at 32 channels
 * they did not: faster on one thread, slower on two). Null (the caller runs the direct kernels) for
 * other layers and where transformsStayFinite says no (|outputs| < 81·C·max|x|·max|w|).
 */
function winogradForward(b: WasmBackend, x: WasmBuffer, w: WasmBuffer, bias: WasmBuffer | undefined, g: Conv2dGeometry, relu: boolean): WasmBuffer | null {
  const { batch: N, inChannels: C, outChannels: O, outHeight: OH, outWidth: OW, inHeight: H, inWidth: W } = g;
  const TH = Math.ceil(OH / 2), TW = Math.ceil(OW / 2), T = TH * TW;
  const fits = g.groups === 1 && g.kernelHeight === 3 && g.kernelWidth === 3 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.dilationHeight === 1 && g.dilationWidth === 1 && C >= 64 && O >= 64 && T >= 8;
  if (!fits) return null;
  const perXi = Math.ceil(O / 4) * 4 * C;
  const U = b.derived(w, `winogradWeights ${O} ${C}`, (16 * perXi + 1) * 4, (ptr) => b.call('winogradWeights', [w.ptr, ptr, O, C]));
  if (!transformsStayFinite(b, x, N * C * H * W, U, 16 * perXi, 81 * C)) return null;
  const Hw = 2 * TH + 2, Ww = 2 * TW + 2;
  const padded = b.scratch(N * C * Hw * Ww * 4);
  b.exec('padDilate', [x.ptr, padded.ptr, H, W, Hw, Ww, g.padTop, g.padLeft, 1, 1], N * C, Hw * Ww);
  const V = b.scratch(16 * N * C * T * 4);
  b.exec('winogradInput', [padded.ptr, V.ptr, N * C, Hw, Ww, TH, TW], N * C, T * 64);
  b.release(padded);
  const M = b.scratch(16 * N * O * T * 4);
  b.exec('winogradProducts', [V.ptr, U.ptr, M.ptr, N, C, O, 1, T, 1, T], 16 * N * Math.ceil(O / 4), T * 4 * C * 2);
  b.release(V);
  const y = b.alloc(N * O * OH * OW);
  b.exec('winogradOutput', [M.ptr, y.ptr, bias?.ptr ?? 0, relu ? 1 : 0, N * O, O, OH, OW, TH, TW], N * O, T * 40);
  b.release(M);
  return y;
}

/**
 * Winograd F(3, 3) along rows (assembly/winograd_rows.ts) for 1×k stride-1 layers, k a multiple of
 * 3 (conv1d k9), of at least 64 input and output channels, one group, no padding above or below: 1.8×
 * fewer multiply-adds, the products a 1×(k/3) layer on the row kernel. Null as winogradForward
 * (|outputs| < 63·C·(k/3)·max|x|·max|w|).
 */
function winogradRowsForward(b: WasmBackend, x: WasmBuffer, w: WasmBuffer, bias: WasmBuffer | undefined, g: Conv2dGeometry, relu: boolean): WasmBuffer | null {
  const { batch: N, inChannels: C, outChannels: O, outWidth: OW, inHeight: H, inWidth: W, kernelWidth: kw } = g;
  const J = kw / 3, T = Math.ceil(OW / 3), S = T + J - 1;
  const fits = g.groups === 1 && g.kernelHeight === 1 && kw % 3 === 0 && g.strideHeight === 1 && g.strideWidth === 1 &&
    g.dilationWidth === 1 && g.padTop === 0 && g.padBottom === 0 && C >= 64 && O >= 64 && T >= 8;
  if (!fits) return null;
  const perXi = Math.ceil(O / 4) * 4 * C * J;
  const U = b.derived(w, `winogradRowsWeights ${O} ${C} ${J}`, (5 * perXi + 1) * 4, (ptr) => b.call('winogradRowsWeights', [w.ptr, ptr, O, C, J]));
  if (!transformsStayFinite(b, x, N * C * H * W, U, 5 * perXi, 63 * C * J)) return null;
  const rows = N * C * H;
  const V = b.scratch(5 * rows * S * 4);
  b.exec('winogradRowsInput', [x.ptr, V.ptr, rows, W, g.padLeft, S], rows, S * 30);
  const M = b.scratch(5 * N * O * H * T * 4);
  const y = b.alloc(N * O * H * OW);
  const blocks = Math.ceil(O / 4);
  b.exec('winogradRowsProducts', [V.ptr, U.ptr, M.ptr, y.ptr, bias?.ptr ?? 0, relu ? 1 : 0, N, C, O, H, T, J, S, OW], N * H * blocks, 5 * T * 4 * C * J * 2);
  b.release(V);
  b.release(M);
  return y;
}

export function convForward(b: WasmBackend, x: WasmBuffer, w: WasmBuffer, bias: WasmBuffer | undefined, g: Conv2dGeometry, relu: boolean): WasmBuffer {
  const winograd = winogradForward(b, x, w, bias, g, relu) ?? winogradRowsForward(b, x, w, bias, g, relu);
  if (winograd) return winograd;
  const { xp, Hp, Wp, pad } = paddedInput(b, x, g);
  const y = b.alloc(g.batch * g.outChannels * g.outHeight * g.outWidth);
  runConv(b, g, {
    xp: xp.ptr, pad, Hp, Wp, C: g.inChannels, w, flip: false, bias: bias?.ptr ?? 0, y: y.ptr, Cout: g.outChannels,
    OH: g.outHeight, OW: g.outWidth, cinG: g.inChannels / g.groups, coutG: g.outChannels / g.groups,
    stride: [g.strideHeight, g.strideWidth],
  }, relu);
  if (pad) b.release(xp);
  return y;
}

/**
 * Input gradient as a stride-1 convolution of the zero-inserted, padded dy with the transposed,
 * tap-reversed weights: dx[iy] = Σ_ky dyd[iy + ky·dh]·w[kh−1−ky] where dyd holds dy[oy] at row
 * oy·sh + (kh−1)·dh − padTop (likewise columns).
 */
export function convBackpropInput(b: WasmBackend, dy: WasmBuffer, w: WasmBuffer, g: Conv2dGeometry): WasmBuffer {
  const { kernelHeight: kh, kernelWidth: kw, dilationHeight: dh, dilationWidth: dw } = g;
  const Hd = g.inHeight + (kh - 1) * dh, Wd = g.inWidth + (kw - 1) * dw;
  const dyd = b.scratch(g.batch * g.outChannels * Hd * Wd * 4);
  const pad = {
    src: dy.ptr, H: g.outHeight, W: g.outWidth, offY: (kh - 1) * dh - g.padTop, offX: (kw - 1) * dw - g.padLeft,
    sy: g.strideHeight, sx: g.strideWidth,
  };
  const dx = b.alloc(g.batch * g.inChannels * g.inHeight * g.inWidth);
  runConv(b, g, {
    xp: dyd.ptr, pad, Hp: Hd, Wp: Wd, C: g.outChannels, w, flip: true, bias: 0, y: dx.ptr, Cout: g.inChannels,
    OH: g.inHeight, OW: g.inWidth, cinG: g.outChannels / g.groups, coutG: g.inChannels / g.groups, stride: [1, 1],
  }, false);
  b.release(dyd);
  return dx;
}

/** Filter gradient on the padded input, pairs of output channels per work unit. */
export function convBackpropFilter(b: WasmBackend, x: WasmBuffer, dy: WasmBuffer, g: Conv2dGeometry): WasmBuffer {
  const { xp, Hp, Wp, pad } = paddedInput(b, x, g);
  if (pad) runPad(b, pad, xp.ptr, Hp, Wp, g.batch * g.inChannels);
  const { kernelHeight: kh, kernelWidth: kw, groups: G } = g;
  const cinG = g.inChannels / G, coutG = g.outChannels / G;
  const taps = cinG * kh * kw;
  const offsets = new Int32Array(taps);
  for (let ci = 0, t = 0; ci < cinG; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, t++) offsets[t] = (ci * Hp * Wp + ky * g.dilationHeight * Wp + kx * g.dilationWidth) * 4;
    }
  }
  const tapOff = b.scratch(taps * 4);
  b.writeInts(tapOff, offsets);
  const dw = b.alloc(g.outChannels * taps);
  b.exec('convFilterGrad', [
    xp.ptr, Hp, Wp, g.inChannels, dy.ptr, dw.ptr, g.batch, g.outChannels, g.outHeight, g.outWidth,
    G, cinG, coutG, kh, kw, g.strideHeight, g.strideWidth, tapOff.ptr,
  ], G * Math.ceil(coutG / 2), g.batch * g.outHeight * g.outWidth * taps * 4);
  b.release(tapOff);
  if (pad) b.release(xp);
  return dw;
}
