import { fma, gather4, hsum, ldf, reluKeepNaN, reluKeepNaNScalar, stf } from './common';

/**
 * Copies planes of src [planes, H, W] into dst [planes, Hd, Wd] at dst(u, v) = src(h, w) with
 * u = h·sy + offY, v = w·sx + offX, zeros elsewhere: zero padding for the forward pass (s = 1) and the
 * zero-inserted, padded gradient for the input gradient (s = stride). Positions outside dst are dropped.
 */
export function padDilate(
  src: usize, dst: usize, H: i32, W: i32, Hd: i32, Wd: i32, offY: i32, offX: i32, sy: i32, sx: i32, lo: i32, hi: i32,
): void {
  const planeIn = <usize>(H * W) << 2, planeOut = <usize>(Hd * Wd) << 2;
  // columns w that land inside [0, Wd)
  let w0 = 0;
  while (w0 < W && w0 * sx + offX < 0) w0++;
  let w1 = W;
  while (w1 > w0 && (w1 - 1) * sx + offX >= Wd) w1--;
  for (let p = lo; p < hi; p++) {
    const s = src + <usize>p * planeIn, d = dst + <usize>p * planeOut;
    memory.fill(d, 0, planeOut);
    if (w1 <= w0) continue;
    for (let h = 0; h < H; h++) {
      const u = h * sy + offY;
      if (u < 0 || u >= Hd) continue;
      const srow = s + (<usize>(h * W) << 2), drow = d + (<usize>(u * Wd) << 2);
      if (sx == 1) {
        memory.copy(drow + (<usize>(w0 + offX) << 2), srow + (<usize>w0 << 2), <usize>(w1 - w0) << 2);
      } else {
        for (let w = w0; w < w1; w++) stf(drow + (<usize>(w * sx + offX) << 2), ldf(srow + (<usize>w << 2)));
      }
    }
  }
}

/**
 * Packs OIHW weights per group into blocks of `block` output channels:
 * wp[g][ob][ci][ky][kx][o] (o < block, zero past the group's channels). With `flip`, packs the
 * weights of the input-gradient convolution instead: output channel = input channel of w, input
 * channel = output channel of w, taps reversed.
 */
export function packWeights(
  w: usize, wp: usize, G: i32, coutG: i32, cinG: i32, kh: i32, kw: i32, block: i32, flip: i32,
): void {
  // geometry of the convolution the packed weights serve
  const oc = flip ? cinG : coutG, ic = flip ? coutG : cinG;
  const taps = kh * kw;
  const blocks = (oc + block - 1) / block;
  let o: usize = wp;
  for (let g = 0; g < G; g++) {
    for (let ob = 0; ob < blocks; ob++) {
      for (let ci = 0; ci < ic; ci++) {
        for (let t = 0; t < taps; t++) {
          for (let j = 0; j < block; j++, o += 4) {
            const co = ob * block + j;
            let v: f32 = 0;
            if (co < oc) {
              // index into OIHW w
              const src = flip
                ? ((g * coutG + ci) * cinG + co) * taps + (taps - 1 - t)
                : ((g * coutG + co) * cinG + ci) * taps + t;
              v = ldf(w + (<usize>src << 2));
            }
            stf(o, v);
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function finish(v: f32, bias: usize, co: i32, relu: i32): f32 {
  if (bias) v += ldf(bias + (<usize>co << 2));
  if (relu) v = reluKeepNaNScalar(v);
  return v;
}

/** Stores the lanes of v (output channels co..co+3 at one pixel) for the channels that exist. */
// @ts-ignore: decorator
@inline function store4(v: v128, y: usize, plane: usize, co: i32, count: i32, bias: usize, relu: i32): void {
  if (count > 0) stf(y, finish(f32x4.extract_lane(v, 0), bias, co, relu));
  if (count > 1) stf(y + plane, finish(f32x4.extract_lane(v, 1), bias, co + 1, relu));
  if (count > 2) stf(y + 2 * plane, finish(f32x4.extract_lane(v, 2), bias, co + 2, relu));
  if (count > 3) stf(y + 3 * plane, finish(f32x4.extract_lane(v, 3), bias, co + 3, relu));
}

/**
 * Direct convolution on a padded input xp [N, Cin, Hp, Wp] with weights packed in blocks of 8
 * output channels. Each work unit is one output row of one 8-channel block: tiles of 4 pixels × 8
 * channels (8 accumulators) walk the row, one pixel at a time at its end.
 * Units: ((n·G + g)·OH + oy)·blocks + ob.
 */
export function convBlocked(
  xp: usize, Hp: i32, Wp: i32, Cin: i32, wp: usize, bias: usize, y: usize, Cout: i32, OH: i32, OW: i32,
  G: i32, cinG: i32, coutG: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, relu: i32,
  lo: i32, hi: i32,
): void {
  const blocks = (coutG + 7) >> 3;
  const rowBytes = <usize>Wp << 2, planeBytes = <usize>(Hp * Wp) << 2;
  const swB = <usize>sw << 2, dwB = <usize>dw << 2, dhB = <usize>dh * rowBytes;
  const outPlane = <usize>(OH * OW) << 2;
  const wBlock = <usize>(cinG * kh * kw * 8) << 2;
  for (let u = lo; u < hi; u++) {
    // channel blocks vary fastest: consecutive units reuse one input row from cache
    const r = splitUnit(u, blocks, OH, 0);
    const ob = unitBlock, oy = unitPos;
    const g = r % G;
    const n = r / G;
    const co0 = g * coutG + ob * 8;
    const count = min(8, coutG - ob * 8);
    const xRow = xp + <usize>(n * Cin + g * cinG) * planeBytes + <usize>(oy * sh) * rowBytes;
    const wb = wp + <usize>(g * blocks + ob) * wBlock;
    const yRow = y + <usize>(n * Cout + co0) * outPlane + (<usize>(oy * OW) << 2);
    let ox = 0;
    for (; ox + 4 <= OW; ox += 4) {
      let a0 = f32x4.splat(0), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
      let wq = wb;
      let xc = xRow + <usize>(ox * sw) * 4;
      for (let ci = 0; ci < cinG; ci++, xc += planeBytes) {
        let xr = xc;
        for (let ky = 0; ky < kh; ky++, xr += dhB) {
          let p = xr;
          for (let kx = 0; kx < kw; kx++, p += dwB, wq += 32) {
            const wl = v128.load(wq), wh = v128.load(wq, 16);
            const x0 = v128.load32_splat(p), x1 = v128.load32_splat(p + swB);
            const x2 = v128.load32_splat(p + 2 * swB), x3 = v128.load32_splat(p + 3 * swB);
            a0 = fma(x0, wl, a0); b0 = fma(x0, wh, b0);
            a1 = fma(x1, wl, a1); b1 = fma(x1, wh, b1);
            a2 = fma(x2, wl, a2); b2 = fma(x2, wh, b2);
            a3 = fma(x3, wl, a3); b3 = fma(x3, wh, b3);
          }
        }
      }
      const yp = yRow + (<usize>ox << 2);
      if (count == 8) {
        // transpose each 4 pixels × 4 channels so every channel's 4 pixels go out in one store
        storeQuad(a0, a1, a2, a3, yp, outPlane, co0, bias, relu);
        storeQuad(b0, b1, b2, b3, yp + 4 * outPlane, outPlane, co0 + 4, bias, relu);
        continue;
      }
      store4(a0, yp, outPlane, co0, count, bias, relu);
      store4(b0, yp + 4 * outPlane, outPlane, co0 + 4, count - 4, bias, relu);
      store4(a1, yp + 4, outPlane, co0, count, bias, relu);
      store4(b1, yp + 4 + 4 * outPlane, outPlane, co0 + 4, count - 4, bias, relu);
      store4(a2, yp + 8, outPlane, co0, count, bias, relu);
      store4(b2, yp + 8 + 4 * outPlane, outPlane, co0 + 4, count - 4, bias, relu);
      store4(a3, yp + 12, outPlane, co0, count, bias, relu);
      store4(b3, yp + 12 + 4 * outPlane, outPlane, co0 + 4, count - 4, bias, relu);
    }
    for (; ox < OW; ox++) {
      let a0 = f32x4.splat(0), b0 = a0;
      let wq = wb;
      let xc = xRow + <usize>(ox * sw) * 4;
      for (let ci = 0; ci < cinG; ci++, xc += planeBytes) {
        let xr = xc;
        for (let ky = 0; ky < kh; ky++, xr += dhB) {
          let p = xr;
          for (let kx = 0; kx < kw; kx++, p += dwB, wq += 32) {
            const x0 = v128.load32_splat(p);
            a0 = fma(x0, v128.load(wq), a0);
            b0 = fma(x0, v128.load(wq, 16), b0);
          }
        }
      }
      const yp = yRow + (<usize>ox << 2);
      store4(a0, yp, outPlane, co0, count, bias, relu);
      store4(b0, yp + 4 * outPlane, outPlane, co0 + 4, count - 4, bias, relu);
    }
  }
}

/** Set by splitUnit: the work unit's channel block and position (output row or chunk). */
let unitBlock: i32 = 0, unitPos: i32 = 0;

/**
 * Splits work unit u of ((n·G + g)·positions + position)·blocks + block, or with rowsFirst
 * ((n·G + g)·blocks + block)·positions + position: sets unitBlock and unitPos, returns n·G + g.
 * (Globals are per instance, so per thread.)
 */
// @ts-ignore: decorator
@inline function splitUnit(u: i32, blocks: i32, positions: i32, rowsFirst: i32): i32 {
  if (rowsFirst) {
    unitPos = u % positions;
    const r = u / positions;
    unitBlock = r % blocks;
    return r / blocks;
  }
  unitBlock = u % blocks;
  const r = u / blocks;
  unitPos = r % positions;
  return r / positions;
}

/**
 * Unit-stride direct convolution with weights packed in blocks of 8 output channels, in tiles of
 * 2 rows × 2 pixels × 8 channels (8 accumulators): a row of OW pixels is ⌈OW / 2⌉ pairs and the plane
 * ⌈OH / 2⌉ pairs of rows (an odd count's last pair overlaps the one before: same values stored twice),
 * so ragged rows lose no lanes (14 × 14 pixels: 49 tiles, where 8-pixel row tiles compute 224
 * pixels). One pointer walks the taps of the upper pixels; the lower ones are a row step past it.
 * Units: ((n·G + g)·chunks + c)·blocks + ob, or with rowsFirst ((n·G + g)·blocks + ob)·chunks + c,
 * a chunk being `chunk` tiles (row pairs vary slowest).
 */
export function convPairs(
  xp: usize, Hp: i32, Wp: i32, Cin: i32, wp: usize, bias: usize, y: usize, Cout: i32, OH: i32, OW: i32,
  G: i32, cinG: i32, coutG: i32, kh: i32, kw: i32, sh: i32, dh: i32, dw: i32, relu: i32,
  chunk: i32, rowsFirst: i32, lo: i32, hi: i32,
): void {
  const blocks = (coutG + 7) >> 3;
  const rowPairs = (OW + 1) >> 1;
  const tiles = ((OH + 1) >> 1) * rowPairs;
  const chunks = (tiles + chunk - 1) / chunk;
  const rowBytes = <usize>Wp << 2, planeBytes = <usize>(Hp * Wp) << 2;
  const rowStep = <usize>sh * rowBytes, dwB = <usize>dw << 2, dhB = <usize>dh * rowBytes;
  const outPlane = <usize>(OH * OW) << 2, outRow = <usize>OW << 2;
  const wBlock = <usize>(cinG * kh * kw * 8) << 2;
  for (let u = lo; u < hi; u++) {
    // as in convRows: channel blocks vary fastest, or chunks with rowsFirst
    const r = splitUnit(u, blocks, chunks, rowsFirst);
    const ob = unitBlock, c = unitPos;
    const g = r % G;
    const n = r / G;
    const co0 = g * coutG + ob * 8;
    const count = min(8, coutG - ob * 8);
    const xPlane = xp + <usize>(n * Cin + g * cinG) * planeBytes;
    const wb = wp + <usize>(g * blocks + ob) * wBlock;
    const yPlane = y + <usize>(n * Cout + co0) * outPlane;
    const t1 = min(tiles, (c + 1) * chunk);
    for (let t = c * chunk; t < t1; t++) {
      const rp = t / rowPairs;
      const oy = min(2 * rp, OH - 2), ox = min(2 * (t - rp * rowPairs), OW - 2);
      let pa = xPlane + <usize>oy * rowStep + (<usize>ox << 2);
      let a0 = f32x4.splat(0), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
      let wq = wb;
      for (let ci = 0; ci < cinG; ci++, pa += planeBytes) {
        let ra = pa;
        for (let ky = 0; ky < kh; ky++, ra += dhB) {
          let qa = ra;
          for (let kx = 0; kx < kw; kx++, qa += dwB, wq += 32) {
            const qb = qa + rowStep;
            const wl = v128.load(wq), wh = v128.load(wq, 16);
            const v0 = v128.load32_splat(qa), v1 = v128.load32_splat(qa, 4);
            const v2 = v128.load32_splat(qb), v3 = v128.load32_splat(qb, 4);
            a0 = fma(v0, wl, a0); b0 = fma(v0, wh, b0);
            a1 = fma(v1, wl, a1); b1 = fma(v1, wh, b1);
            a2 = fma(v2, wl, a2); b2 = fma(v2, wh, b2);
            a3 = fma(v3, wl, a3); b3 = fma(v3, wh, b3);
          }
        }
      }
      const ypa = yPlane + (<usize>(oy * OW + ox) << 2), ypb = ypa + outRow;
      storePairs(a0, a1, a2, a3, ypa, ypb, outPlane, co0, count, bias, relu);
      storePairs(b0, b1, b2, b3, ypa + 4 * outPlane, ypb + 4 * outPlane, outPlane, co0 + 4, count - 4, bias, relu);
    }
  }
}

/**
 * Stores two pixel pairs × 4 channels given as one vector of channels per pixel (p0, p1 at ya;
 * p2, p3 at yb): transposed to one vector of pixels per channel, + bias and relu, then each channel's
 * halves to its two pairs; channel c at + c·plane, `count` channels.
 */
// @ts-ignore: decorator
@inline function storePairs(p0: v128, p1: v128, p2: v128, p3: v128, ya: usize, yb: usize, plane: usize, co: i32, count: i32, bias: usize, relu: i32): void {
  const t0 = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7);
  if (count > 0) storePair(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), ya, yb, co, bias, relu);
  if (count > 1) storePair(v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), ya + plane, yb + plane, co + 1, bias, relu);
  if (count > 2) storePair(v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), ya + 2 * plane, yb + 2 * plane, co + 2, bias, relu);
  if (count > 3) storePair(v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), ya + 3 * plane, yb + 3 * plane, co + 3, bias, relu);
}

/** One channel's two pairs (lanes 0–1 at ya, 2–3 at yb): + bias, then relu (NaN kept). */
// @ts-ignore: decorator
@inline function storePair(a: v128, ya: usize, yb: usize, co: i32, bias: usize, relu: i32): void {
  if (bias) a = f32x4.add(a, v128.load32_splat(bias + (<usize>co << 2)));
  if (relu) a = reluKeepNaN(a);
  v128.store64_lane(ya, a, 0);
  v128.store64_lane(yb, a, 1);
}

/**
 * Direct convolution vectorized over output pixels, for groups with few output channels
 * (depthwise and the like): weights wp in OIHW order (packed with block 1). Units: (n·Cout + co)·OH + oy.
 */
export function convPixels(
  xp: usize, Hp: i32, Wp: i32, Cin: i32, wp: usize, bias: usize, y: usize, Cout: i32, OH: i32, OW: i32,
  G: i32, cinG: i32, coutG: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, relu: i32,
  lo: i32, hi: i32,
): void {
  const rowBytes = <usize>Wp << 2, planeBytes = <usize>(Hp * Wp) << 2;
  const swB = <usize>sw << 2, dwB = <usize>dw << 2, dhB = <usize>dh * rowBytes;
  const taps = kh * kw;
  for (let u = lo; u < hi; u++) {
    const oy = u % OH;
    const r = u / OH;
    const co = r % Cout, n = r / Cout;
    const g = co / coutG;
    const xRow = xp + <usize>(n * Cin + g * cinG) * planeBytes + <usize>(oy * sh) * rowBytes;
    const wc = wp + (<usize>(co * cinG * taps) << 2);
    const yRow = y + (<usize>((n * Cout + co) * OH + oy) * OW << 2);
    const b: f32 = bias ? ldf(bias + (<usize>co << 2)) : 0;
    const zero = f32x4.splat(0);
    let ox = 0;
    // as in convRows, the last group of 8 overlaps the previous one
    for (; ox + 8 <= OW; ox = ox + 8 > OW - 8 && ox + 8 < OW ? OW - 8 : ox + 8) {
      let a0 = f32x4.splat(b), a1 = a0;
      let wq = wc;
      let xc = xRow + <usize>(ox * sw) * 4;
      // two copies of the tap loop: V8 does not unswitch loops
      if (sw == 1) {
        for (let ci = 0; ci < cinG; ci++, xc += planeBytes) {
          let xr = xc;
          for (let ky = 0; ky < kh; ky++, xr += dhB) {
            let p = xr;
            for (let kx = 0; kx < kw; kx++, p += dwB, wq += 4) {
              const wv = v128.load32_splat(wq);
              a0 = fma(v128.load(p), wv, a0);
              a1 = fma(v128.load(p, 16), wv, a1);
            }
          }
        }
      } else {
        for (let ci = 0; ci < cinG; ci++, xc += planeBytes) {
          let xr = xc;
          for (let ky = 0; ky < kh; ky++, xr += dhB) {
            let p = xr;
            for (let kx = 0; kx < kw; kx++, p += dwB, wq += 4) {
              const wv = v128.load32_splat(wq);
              a0 = fma(gather4(p, swB), wv, a0);
              a1 = fma(gather4(p + 4 * swB, swB), wv, a1);
            }
          }
        }
      }
      if (relu) {
        // keeps NaN: max with 0 would too, but pmax picks a on NaN in a
        a0 = reluKeepNaN(a0);
        a1 = reluKeepNaN(a1);
      }
      v128.store(yRow + (<usize>ox << 2), a0);
      v128.store(yRow + (<usize>ox << 2), a1, 16);
    }
    for (; ox < OW; ox++) {
      let a: f32 = 0;
      let wq = wc;
      let xc = xRow + <usize>(ox * sw) * 4;
      for (let ci = 0; ci < cinG; ci++, xc += planeBytes) {
        let xr = xc;
        for (let ky = 0; ky < kh; ky++, xr += dhB) {
          let p = xr;
          for (let kx = 0; kx < kw; kx++, p += dwB, wq += 4) a += ldf(p) * ldf(wq);
        }
      }
      stf(yRow + (<usize>ox << 2), finish(a, bias, co, relu));
    }
  }
}

/**
 * convPixels for unit width stride, row stride = row dilation (sh = dh, as in every input gradient
 * of an undilated conv) and planes of at least 4 rows × 8 pixels: tiles of 4 rows × 8 pixels, plus a
 * column of 4 pixels over 8 rows ending rows of 8k + 1..4 pixels (28: 3 tiles and 4 pixels), taken by
 * the even row groups for themselves and the next, instead of an overlapping 8-pixel tile that
 * would compute 32 pixels per 28. The last tile of a row and the last rows of a plane overlap the
 * ones before (same values stored twice). Both tiles run pixelPairTile.
 * Units: (n·Cout + co)·⌈OH / 4⌉ + row group.
 */
export function convPixelRows(
  xp: usize, Hp: i32, Wp: i32, Cin: i32, wp: usize, bias: usize, y: usize, Cout: i32, OH: i32, OW: i32,
  G: i32, cinG: i32, coutG: i32, kh: i32, kw: i32, sh: i32, dh: i32, dw: i32, relu: i32,
  lo: i32, hi: i32,
): void {
  const rowBytes = <usize>Wp << 2, planeBytes = <usize>(Hp * Wp) << 2;
  const rs = <usize>sh * rowBytes, outRow = <usize>OW << 2;
  const dwB = <usize>dw << 2, dhB = <usize>dh * rowBytes;
  const taps = kh * kw;
  const groups = (OH + 3) >> 2;
  const rem = OW & 7;
  const tail = rem >= 1 && rem <= 4 && OH >= 8;
  const tiledOW = tail ? OW - rem : OW;
  for (let u = lo; u < hi; u++) {
    const gi = u % groups;
    const oy = min(gi * 4, OH - 4);
    const r = u / groups;
    const co = r % Cout, n = r / Cout;
    const g = co / coutG;
    const xPlane = xp + <usize>(n * Cin + g * cinG) * planeBytes;
    const wc = wp + (<usize>(co * cinG * taps) << 2);
    const yPlane = y + (<usize>((n * Cout + co) * OH) * OW << 2);
    const bv = f32x4.splat(bias ? ldf(bias + (<usize>co << 2)) : 0);
    if (tail && !(gi & 1)) {
      // anchors at rows 0, 2, 4, 6 of the column
      const ty = min(gi * 4, OH - 8), tx = OW - 4;
      pixelPairTile(
        xPlane + <usize>(ty * sh) * rowBytes + (<usize>tx << 2), 2 * rs, 4 * rs, 6 * rs, wc, cinG, kh, kw, planeBytes, dhB, dwB, bv,
        yPlane + (<usize>(ty * OW + tx) << 2), 2 * outRow, 4 * outRow, 6 * outRow, outRow, relu,
      );
    }
    const xRow = xPlane + <usize>(oy * sh) * rowBytes, yRow = yPlane + (<usize>(oy * OW) << 2);
    for (let ox = 0; ox < tiledOW; ox = ox + 8 > tiledOW - 8 && ox + 8 < tiledOW ? tiledOW - 8 : ox + 8) {
      // anchors at (row 0, pixel 0), (0, 4), (2, 0), (2, 4)
      pixelPairTile(
        xRow + (<usize>ox << 2), 16, 2 * rs, 2 * rs + 16, wc, cinG, kh, kw, planeBytes, dhB, dwB, bv,
        yRow + (<usize>ox << 2), 16, 2 * outRow, 2 * outRow + 16, outRow, relu,
      );
    }
  }
}

/**
 * convPixelRows on an input not yet padded: per image, padDilate of its planes from src [N, Cin, H,
 * W] (offY, offX, sy, sx as there) into its part of xp, then that image's tiles. Each thread pads
 * exactly what it convolves, while it is in cache: padding every image first, on one thread, left
 * the other thread reading half of it from the first one's cache (conv E ∂x at 2 threads: 0.26 ms
 * for the conv after the pad against 0.17 ms alone). Units: images.
 */
export function padConvPixelRows(
  src: usize, H: i32, W: i32, offY: i32, offX: i32, sy: i32, sx: i32,
  xp: usize, Hp: i32, Wp: i32, Cin: i32, wp: usize, bias: usize, y: usize, Cout: i32, OH: i32, OW: i32,
  G: i32, cinG: i32, coutG: i32, kh: i32, kw: i32, sh: i32, dh: i32, dw: i32, relu: i32,
  lo: i32, hi: i32,
): void {
  const perImage = Cout * ((OH + 3) >> 2);
  for (let n = lo; n < hi; n++) {
    padDilate(src, xp, H, W, Hp, Wp, offY, offX, sy, sx, n * Cin, (n + 1) * Cin);
    convPixelRows(xp, Hp, Wp, Cin, wp, bias, y, Cout, OH, OW, G, cinG, coutG, kh, kw, sh, dh, dw, relu, n * perImage, (n + 1) * perImage);
  }
}

/**
 * One output channel at four anchors of 4 pixels (x, x + i1, x + i2, x + i3 in the input; y, y + q1,
 * y + q2, y + q3 in the output), each the upper row of a pair of output rows: 8 accumulators. With
 * sh = dh the lower row reads at tap row r − 1 the input row that the upper row reads at tap row r,
 * so each loaded vector serves both rows: per step 4 loads and 2 broadcast weights for 8
 * multiply-adds. (Loading each row's own vectors takes 8 registers beside the 8 accumulators and the
 * weight, past V8's 15, and it spilled an accumulator to the stack on every tap: 35 % of peak.)
 * Tap row 0 feeds only the upper rows, tap row kh only the lower ones. Weights OIHW at wc.
 */
// @ts-ignore: decorator
@inline function pixelPairTile(
  x: usize, i1: usize, i2: usize, i3: usize, wc: usize, cinG: i32, kh: i32, kw: i32, planeBytes: usize,
  dhB: usize, dwB: usize, bv: v128, y: usize, q1: usize, q2: usize, q3: usize, outRow: usize, relu: i32,
): void {
  let a0 = bv, a1 = bv, a2 = bv, a3 = bv, b0 = bv, b1 = bv, b2 = bv, b3 = bv;
  const wRow = <usize>kw << 2;
  let wq = wc;
  let xc = x;
  for (let ci = 0; ci < cinG; ci++, xc += planeBytes) {
    // tap row 0: upper rows
    let p = xc;
    for (let kx = 0; kx < kw; kx++, p += dwB, wq += 4) {
      const wu = v128.load32_splat(wq);
      a0 = fma(v128.load(p), wu, a0); a1 = fma(v128.load(p + i1), wu, a1);
      a2 = fma(v128.load(p + i2), wu, a2); a3 = fma(v128.load(p + i3), wu, a3);
    }
    // tap rows 1 .. kh − 1: upper rows at tap row r, lower rows at r − 1
    let xr = xc + dhB;
    for (let r = 1; r < kh; r++, xr += dhB) {
      p = xr;
      for (let kx = 0; kx < kw; kx++, p += dwB, wq += 4) {
        const wu = v128.load32_splat(wq), wl = v128.load32_splat(wq - wRow);
        const x0 = v128.load(p), x1 = v128.load(p + i1), x2 = v128.load(p + i2), x3 = v128.load(p + i3);
        a0 = fma(x0, wu, a0); b0 = fma(x0, wl, b0);
        a1 = fma(x1, wu, a1); b1 = fma(x1, wl, b1);
        a2 = fma(x2, wu, a2); b2 = fma(x2, wl, b2);
        a3 = fma(x3, wu, a3); b3 = fma(x3, wl, b3);
      }
    }
    // tap row kh: lower rows, at tap row kh − 1 (wq is at the next channel's weights)
    p = xr;
    let wl = wq - wRow;
    for (let kx = 0; kx < kw; kx++, p += dwB, wl += 4) {
      const w = v128.load32_splat(wl);
      b0 = fma(v128.load(p), w, b0); b1 = fma(v128.load(p + i1), w, b1);
      b2 = fma(v128.load(p + i2), w, b2); b3 = fma(v128.load(p + i3), w, b3);
    }
  }
  storeRelu(a0, y, relu); storeRelu(b0, y + outRow, relu);
  storeRelu(a1, y + q1, relu); storeRelu(b1, y + q1 + outRow, relu);
  storeRelu(a2, y + q2, relu); storeRelu(b2, y + q2 + outRow, relu);
  storeRelu(a3, y + q3, relu); storeRelu(b3, y + q3 + outRow, relu);
}

/**
 * Filter gradient dw[co, ci, ky, kx] = Σ_{n,oy,ox} dy[n, co, oy, ox]·xp[n, g·cinG + ci, oy·sh + ky·dh, ox·sw + kx·dw]
 * on the padded input. A unit is a pair of output channels of one group; it walks the taps in groups
 * of 4 (2 channels × 4 taps = 8 accumulators over 4 pixels). tapOff holds each tap's byte offset
 * within a group's padded planes (cinG·kh·kw i32 values).
 * Units: g·pairs + pair, pairs = ⌈coutG / 2⌉.
 */
export function convFilterGrad(
  xp: usize, Hp: i32, Wp: i32, Cin: i32, dy: usize, dw: usize, N: i32, Cout: i32, OH: i32, OW: i32,
  G: i32, cinG: i32, coutG: i32, kh: i32, kw: i32, sh: i32, sw: i32, tapOff: usize, lo: i32, hi: i32,
): void {
  const pairs = (coutG + 1) >> 1;
  const T = cinG * kh * kw;
  const rowBytes = <usize>Wp << 2, planeBytes = <usize>(Hp * Wp) << 2;
  const swB = <usize>sw << 2;
  const outPlane = <usize>(OH * OW) << 2;
  // Unit stride, rows of 4 columns or more: a row's last OW % 4 columns go in one vector step over
  // its last 4 columns (lanes k ≥ 4 − OW % 4), not one column at a time (10-column rows spent over
  // half their time in those 2 columns).
  const vectorTail = sw == 1 && (OW & 3) != 0 && OW >= 4;
  const tailBack = <usize>(4 - (OW & 3)) << 2;
  const tailMask = i32x4.gt_s(i32x4(0, 1, 2, 3), i32x4.splat(3 - (OW & 3)));
  for (let u = lo; u < hi; u++) {
    const g = u / pairs, pr = u % pairs;
    const co0 = g * coutG + pr * 2;
    const two = pr * 2 + 1 < coutG;
    const co1 = two ? co0 + 1 : co0;
    for (let t0 = 0; t0 < T; t0 += 4) {
      // taps past the end repeat the last one and are not stored
      const o0 = <usize>load<i32>(tapOff + (<usize>t0 << 2));
      const o1 = <usize>load<i32>(tapOff + (<usize>min(t0 + 1, T - 1) << 2));
      const o2 = <usize>load<i32>(tapOff + (<usize>min(t0 + 2, T - 1) << 2));
      const o3 = <usize>load<i32>(tapOff + (<usize>min(t0 + 3, T - 1) << 2));
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0, r0: f32 = 0, r1: f32 = 0, r2: f32 = 0, r3: f32 = 0;
      // Vector part: two copies of the pixel loop (unit stride: plain loads; otherwise gathers),
      // because V8 does not unswitch loops and the gather branch would crowd the accumulators.
      const OW4 = OW & ~3;
      if (sw == 1) {
        for (let n = 0; n < N; n++) {
          const xg = xp + <usize>(n * Cin + g * cinG) * planeBytes;
          const d0 = dy + <usize>(n * Cout + co0) * outPlane, d1 = dy + <usize>(n * Cout + co1) * outPlane;
          for (let oy = 0; oy < OH; oy++) {
            let xq = xg + <usize>(oy * sh) * rowBytes;
            let e0 = d0 + (<usize>(oy * OW) << 2), e1 = d1 + (<usize>(oy * OW) << 2);
            const end = e0 + (<usize>OW4 << 2);
            for (; e0 < end; e0 += 16, e1 += 16, xq += 16) {
              const dv0 = v128.load(e0), dv1 = v128.load(e1);
              const x0 = v128.load(xq + o0), x1 = v128.load(xq + o1), x2 = v128.load(xq + o2), x3 = v128.load(xq + o3);
              a0 = fma(dv0, x0, a0); a1 = fma(dv0, x1, a1); a2 = fma(dv0, x2, a2); a3 = fma(dv0, x3, a3);
              b0 = fma(dv1, x0, b0); b1 = fma(dv1, x1, b1); b2 = fma(dv1, x2, b2); b3 = fma(dv1, x3, b3);
            }
            if (vectorTail) {
              // the row's last 4 columns, the lanes already done masked to 0 in dy and in x (0·∞ would be NaN)
              e0 -= tailBack; e1 -= tailBack; xq -= tailBack;
              const dv0 = v128.and(v128.load(e0), tailMask), dv1 = v128.and(v128.load(e1), tailMask);
              const x0 = v128.and(v128.load(xq + o0), tailMask), x1 = v128.and(v128.load(xq + o1), tailMask);
              const x2 = v128.and(v128.load(xq + o2), tailMask), x3 = v128.and(v128.load(xq + o3), tailMask);
              a0 = fma(dv0, x0, a0); a1 = fma(dv0, x1, a1); a2 = fma(dv0, x2, a2); a3 = fma(dv0, x3, a3);
              b0 = fma(dv1, x0, b0); b1 = fma(dv1, x1, b1); b2 = fma(dv1, x2, b2); b3 = fma(dv1, x3, b3);
            }
          }
        }
      } else {
        for (let n = 0; n < N; n++) {
          const xg = xp + <usize>(n * Cin + g * cinG) * planeBytes;
          const d0 = dy + <usize>(n * Cout + co0) * outPlane, d1 = dy + <usize>(n * Cout + co1) * outPlane;
          for (let oy = 0; oy < OH; oy++) {
            let xq = xg + <usize>(oy * sh) * rowBytes;
            let e0 = d0 + (<usize>(oy * OW) << 2), e1 = d1 + (<usize>(oy * OW) << 2);
            const end = e0 + (<usize>OW4 << 2);
            for (; e0 < end; e0 += 16, e1 += 16, xq += 4 * swB) {
              const dv0 = v128.load(e0), dv1 = v128.load(e1);
              const x0 = gather4(xq + o0, swB), x1 = gather4(xq + o1, swB), x2 = gather4(xq + o2, swB), x3 = gather4(xq + o3, swB);
              a0 = fma(dv0, x0, a0); a1 = fma(dv0, x1, a1); a2 = fma(dv0, x2, a2); a3 = fma(dv0, x3, a3);
              b0 = fma(dv1, x0, b0); b1 = fma(dv1, x1, b1); b2 = fma(dv1, x2, b2); b3 = fma(dv1, x3, b3);
            }
          }
        }
      }
      // scalar tail columns
      if (OW4 < OW && !vectorTail) {
        for (let n = 0; n < N; n++) {
          const xg = xp + <usize>(n * Cin + g * cinG) * planeBytes;
          const d0 = dy + <usize>(n * Cout + co0) * outPlane, d1 = dy + <usize>(n * Cout + co1) * outPlane;
          for (let oy = 0; oy < OH; oy++) {
            const xr = xg + <usize>(oy * sh) * rowBytes;
            const dr = <usize>(oy * OW) << 2;
            for (let ox = OW4; ox < OW; ox++) {
              const e0 = ldf(d0 + dr + (<usize>ox << 2)), e1 = ldf(d1 + dr + (<usize>ox << 2));
              const xq = xr + <usize>ox * swB;
              const x0 = ldf(xq + o0), x1 = ldf(xq + o1), x2 = ldf(xq + o2), x3 = ldf(xq + o3);
              s0 += e0 * x0; s1 += e0 * x1; s2 += e0 * x2; s3 += e0 * x3;
              r0 += e1 * x0; r1 += e1 * x1; r2 += e1 * x2; r3 += e1 * x3;
            }
          }
        }
      }
      const w0 = dw + (<usize>(co0 * T + t0) << 2), w1 = dw + (<usize>(co1 * T + t0) << 2);
      const left = T - t0;
      stf(w0, hsum(a0) + s0);
      if (left > 1) stf(w0 + 4, hsum(a1) + s1);
      if (left > 2) stf(w0 + 8, hsum(a2) + s2);
      if (left > 3) stf(w0 + 12, hsum(a3) + s3);
      if (two) {
        stf(w1, hsum(b0) + r0);
        if (left > 1) stf(w1 + 4, hsum(b1) + r1);
        if (left > 2) stf(w1 + 8, hsum(b2) + r2);
        if (left > 3) stf(w1 + 12, hsum(b3) + r3);
      }
    }
  }
}

/** Reverses the last two axes of [planes, H, W]. Units: planes. */
export function reverseSpatial(x: usize, y: usize, H: i32, W: i32, lo: i32, hi: i32): void {
  const plane = H * W;
  for (let p = lo; p < hi; p++) {
    const xs = x + (<usize>(p * plane) << 2), ys = y + (<usize>(p * plane) << 2);
    for (let i = 0; i < plane; i++) stf(ys + (<usize>i << 2), ldf(xs + (<usize>(plane - 1 - i) << 2)));
  }
}

/**
 * Direct convolution for unit-stride rows: tiles of 4 output channels × 8 pixels (8 accumulators);
 * per tap two contiguous input vectors and four broadcast weights, all at immediate offsets from two
 * pointers. Weights packed in blocks of 4 (packWeights block 4). The row tail (< 8 pixels) runs one
 * pixel at a time with the 4 channels in one vector. Units: ((n·G + g)·OH + oy)·blocks + ob, or with
 * rowsFirst ((n·G + g)·blocks + ob)·OH + oy.
 */
export function convRows(
  xp: usize, Hp: i32, Wp: i32, Cin: i32, wp: usize, bias: usize, y: usize, Cout: i32, OH: i32, OW: i32,
  G: i32, cinG: i32, coutG: i32, kh: i32, kw: i32, sh: i32, dh: i32, dw: i32, relu: i32, rowsFirst: i32,
  lo: i32, hi: i32,
): void {
  const blocks = (coutG + 3) >> 2;
  const rowBytes = <usize>Wp << 2, planeBytes = <usize>(Hp * Wp) << 2;
  const dwB = <usize>dw << 2, dhB = <usize>dh * rowBytes;
  const outPlane = <usize>(OH * OW) << 2;
  const wBlock = <usize>(cinG * kh * kw * 4) << 2;
  const zero = f32x4.splat(0);
  const pointwise = kh == 1 && kw == 1;
  for (let u = lo; u < hi; u++) {
    // channel blocks vary fastest: consecutive units reuse one input row from cache; with rowsFirst
    // (weights too large for the cache, planes small) rows vary fastest and reuse one weight block
    const r = splitUnit(u, blocks, OH, rowsFirst);
    const ob = unitBlock, oy = unitPos;
    const g = r % G;
    const n = r / G;
    const co0 = g * coutG + ob * 4;
    const count = min(4, coutG - ob * 4);
    const xRow = xp + <usize>(n * Cin + g * cinG) * planeBytes + <usize>(oy * sh) * rowBytes;
    const wb = wp + <usize>(g * blocks + ob) * wBlock;
    const yRow = y + <usize>(n * Cout + co0) * outPlane + (<usize>(oy * OW) << 2);
    // the last tile overlaps the previous one when OW is not a multiple of 8 (same values stored
    // twice), so no pixel takes the slow one-at-a-time path once OW ≥ 8
    for (let ox = 0; ox < OW; ox = ox + 8 > OW - 8 && ox + 8 < OW ? OW - 8 : ox + 8) {
      let a0 = zero, b0 = zero, a1 = zero, b1 = zero, a2 = zero, b2 = zero, a3 = zero, b3 = zero;
      let wq = wb;
      let xc = xRow + (<usize>ox << 2);
      if (pointwise) {
        // 1×1: one tap per input channel, no inner tap loops
        const wEnd = wb + wBlock;
        for (; wq < wEnd; wq += 16, xc += planeBytes) {
          const xl = v128.load(xc), xh = v128.load(xc, 16);
          const w0 = v128.load32_splat(wq), w1 = v128.load32_splat(wq, 4);
          const w2 = v128.load32_splat(wq, 8), w3 = v128.load32_splat(wq, 12);
          a0 = fma(xl, w0, a0); b0 = fma(xh, w0, b0);
          a1 = fma(xl, w1, a1); b1 = fma(xh, w1, b1);
          a2 = fma(xl, w2, a2); b2 = fma(xh, w2, b2);
          a3 = fma(xl, w3, a3); b3 = fma(xh, w3, b3);
        }
      } else {
        for (let ci = 0; ci < cinG; ci++, xc += planeBytes) {
          let xr = xc;
          for (let ky = 0; ky < kh; ky++, xr += dhB) {
            let p = xr;
            for (let kx = 0; kx < kw; kx++, p += dwB, wq += 16) {
              const xl = v128.load(p), xh = v128.load(p, 16);
              const w0 = v128.load32_splat(wq), w1 = v128.load32_splat(wq, 4);
              const w2 = v128.load32_splat(wq, 8), w3 = v128.load32_splat(wq, 12);
              a0 = fma(xl, w0, a0); b0 = fma(xh, w0, b0);
              a1 = fma(xl, w1, a1); b1 = fma(xh, w1, b1);
              a2 = fma(xl, w2, a2); b2 = fma(xh, w2, b2);
              a3 = fma(xl, w3, a3); b3 = fma(xh, w3, b3);
            }
          }
        }
      }
      const yp = yRow + (<usize>ox << 2);
      storeRow(a0, b0, yp, co0, bias, relu);
      if (count > 1) storeRow(a1, b1, yp + outPlane, co0 + 1, bias, relu);
      if (count > 2) storeRow(a2, b2, yp + 2 * outPlane, co0 + 2, bias, relu);
      if (count > 3) storeRow(a3, b3, yp + 3 * outPlane, co0 + 3, bias, relu);
    }
  }
}

/** Rows narrower than 8 pixels: one pixel at a time, the 4 channels in one vector. */
export function convRowsNarrow(
  xp: usize, Hp: i32, Wp: i32, Cin: i32, wp: usize, bias: usize, y: usize, Cout: i32, OH: i32, OW: i32,
  G: i32, cinG: i32, coutG: i32, kh: i32, kw: i32, sh: i32, dh: i32, dw: i32, relu: i32,
  lo: i32, hi: i32,
): void {
  const blocks = (coutG + 3) >> 2;
  const rowBytes = <usize>Wp << 2, planeBytes = <usize>(Hp * Wp) << 2;
  const dwB = <usize>dw << 2, dhB = <usize>dh * rowBytes;
  const outPlane = <usize>(OH * OW) << 2;
  const wBlock = <usize>(cinG * kh * kw * 4) << 2;
  const zero = f32x4.splat(0);
  for (let u = lo; u < hi; u++) {
    // channel blocks vary fastest: consecutive units reuse one input row from cache
    const r = splitUnit(u, blocks, OH, 0);
    const ob = unitBlock, oy = unitPos;
    const g = r % G;
    const n = r / G;
    const co0 = g * coutG + ob * 4;
    const count = min(4, coutG - ob * 4);
    const xRow = xp + <usize>(n * Cin + g * cinG) * planeBytes + <usize>(oy * sh) * rowBytes;
    const wb = wp + <usize>(g * blocks + ob) * wBlock;
    const yRow = y + <usize>(n * Cout + co0) * outPlane + (<usize>(oy * OW) << 2);
    for (let ox = 0; ox < OW; ox++) {
      let a = zero;
      let wq = wb;
      let xc = xRow + (<usize>ox << 2);
      for (let ci = 0; ci < cinG; ci++, xc += planeBytes) {
        let xr = xc;
        for (let ky = 0; ky < kh; ky++, xr += dhB) {
          let p = xr;
          for (let kx = 0; kx < kw; kx++, p += dwB, wq += 16) a = fma(v128.load32_splat(p), v128.load(wq), a);
        }
      }
      store4(a, yRow + (<usize>ox << 2), outPlane, co0, count, bias, relu);
    }
  }
}

/**
 * Stores 4 pixels × 4 channels given as one vector of channels per pixel (p0..p3): transposed to one
 * vector of pixels per channel, then + bias and relu per channel, channel c at y + c·plane.
 */
// @ts-ignore: decorator
@inline function storeQuad(p0: v128, p1: v128, p2: v128, p3: v128, y: usize, plane: usize, co: i32, bias: usize, relu: i32): void {
  const t0 = v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(p2, p3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(p0, p1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(p2, p3, 2, 6, 3, 7);
  storeVec(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), y, co, bias, relu);
  storeVec(v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), y + plane, co + 1, bias, relu);
  storeVec(v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), y + 2 * plane, co + 2, bias, relu);
  storeVec(v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), y + 3 * plane, co + 3, bias, relu);
}

/** Stores 4 pixels of one output channel: + bias, then relu (NaN kept). */
// @ts-ignore: decorator
@inline function storeVec(a: v128, y: usize, co: i32, bias: usize, relu: i32): void {
  if (bias) a = f32x4.add(a, v128.load32_splat(bias + (<usize>co << 2)));
  if (relu) a = reluKeepNaN(a);
  v128.store(y, a);
}

/** Stores 4 pixels (bias already added), relu applied if asked (NaN kept). */
// @ts-ignore: decorator
@inline function storeRelu(a: v128, y: usize, relu: i32): void {
  if (relu) a = reluKeepNaN(a);
  v128.store(y, a);
}

/** Stores 8 pixels of one output channel: + bias, then relu (NaN kept). */
// @ts-ignore: decorator
@inline function storeRow(a: v128, b: v128, y: usize, co: i32, bias: usize, relu: i32): void {
  if (bias) {
    const bv = v128.load32_splat(bias + (<usize>co << 2));
    a = f32x4.add(a, bv);
    b = f32x4.add(b, bv);
  }
  if (relu) {
    a = reluKeepNaN(a);
    b = reluKeepNaN(b);
  }
  v128.store(y, a);
  v128.store(y, b, 16);
}
