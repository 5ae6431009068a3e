// Winograd F(2×2, 3×3) for wide 3×3 stride-1 layers: each 2×2 block of outputs ("tile") comes from a
// 4×4 input patch d as Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A, so the layer becomes 16 products U_ξ·V_ξ of
// (out × in channels) by (in channels × tiles): 2.25× fewer multiply-adds than the direct sum. The
// transforms only add, subtract and halve; the products run on the 1×1 row kernel (convRows).
import { ldf, reluKeepNaN, reluKeepNaNScalar, stf } from './common';
import { convRows } from './conv';

/** One row (a, b, d) of G g, times Gᵀ: the four ξ of that row, perXi bytes apart. */
// @ts-ignore: decorator
@inline function putRow(at: usize, perXi: usize, a: f32, b: f32, d: f32): void {
  stf(at, a);
  stf(at + perXi, 0.5 * (a + b + d));
  stf(at + 2 * perXi, 0.5 * (a - b + d));
  stf(at + 3 * perXi, d);
}

/**
 * U_ξ = (G g Gᵀ)_ξ for every (o, c) of OIHW 3×3 weights w [O][C][3][3], packed for convRows as a 1×1
 * layer in blocks of 4 output channels: u[ξ][o / 4][c][o % 4] (zero past O), then max|w| (+Inf if a
 * weight is not finite), which bounds what the transforms may see.
 */
export function winogradWeights(w: usize, u: usize, O: i32, C: i32): void {
  const blocks = (O + 3) >> 2;
  const perXi = <usize>(blocks * 4 * C) << 2;
  memory.fill(u, 0, perXi * 16);
  let wMax: f32 = 0;
  let poison: f32 = 0;
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      const k = w + (<usize>((o * C + c) * 9) << 2);
      const k0 = ldf(k), k1 = ldf(k + 4), k2 = ldf(k + 8), k3 = ldf(k + 12), k4 = ldf(k + 16);
      const k5 = ldf(k + 20), k6 = ldf(k + 24), k7 = ldf(k + 28), k8 = ldf(k + 32);
      for (let i = 0; i < 9; i++) {
        const a = Mathf.abs(ldf(k + (<usize>i << 2)));
        wMax = Mathf.max(wMax, a);
        poison += a - a;
      }
      // t = G g, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]: rows g0, ½(g0 + g1 + g2), ½(g0 − g1 + g2), g2
      // (g the kernel's rows); then u = t Gᵀ, the same combination of each row of t
      const at = u + (<usize>(((o >> 2) * C + c) * 4 + (o & 3)) << 2);
      putRow(at, perXi, k0, k1, k2);
      putRow(at + 4 * perXi, perXi, 0.5 * (k0 + k3 + k6), 0.5 * (k1 + k4 + k7), 0.5 * (k2 + k5 + k8));
      putRow(at + 8 * perXi, perXi, 0.5 * (k0 - k3 + k6), 0.5 * (k1 - k4 + k7), 0.5 * (k2 - k5 + k8));
      putRow(at + 12 * perXi, perXi, k6, k7, k8);
    }
  }
  stf(u + 16 * perXi, poison == 0 ? wMax : Infinity);
}

/**
 * Largest |x| over n floats, +Inf if any is not finite. On the bit patterns with the sign cleared,
 * integer order is float order and every Inf or NaN lies above the largest finite value: one integer
 * max per vector (f32x4.max, which must order NaN and −0, took 0.6 ms over conv1d's 2 MB input).
 */
export function maxMagnitude(x: usize, n: i32): f32 {
  const magnitude = i32x4.splat(0x7fffffff);
  let m0 = i32x4.splat(0), m1 = m0, m2 = m0, m3 = m0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    m0 = i32x4.max_s(m0, v128.and(v128.load(p), magnitude));
    m1 = i32x4.max_s(m1, v128.and(v128.load(p, 16), magnitude));
    m2 = i32x4.max_s(m2, v128.and(v128.load(p, 32), magnitude));
    m3 = i32x4.max_s(m3, v128.and(v128.load(p, 48), magnitude));
  }
  const m = i32x4.max_s(i32x4.max_s(m0, m1), i32x4.max_s(m2, m3));
  let best = max(max(i32x4.extract_lane(m, 0), i32x4.extract_lane(m, 1)), max(i32x4.extract_lane(m, 2), i32x4.extract_lane(m, 3)));
  for (; i < n; i++) best = max(best, load<i32>(x + (<usize>i << 2)) & 0x7fffffff);
  return best >= 0x7f800000 ? Infinity : reinterpret<f32>(best);
}

/** One row (u0…u3) of Bᵀ d times B: its four ξ, xiStride bytes apart from dst; returns the next row's dst. */
// @ts-ignore: decorator
@inline function putInputRow(dst: usize, xiStride: usize, u0: f32, u1: f32, u2: f32, u3: f32): usize {
  stf(dst, u0 - u2);
  stf(dst + xiStride, u1 + u2);
  stf(dst + 2 * xiStride, u2 - u1);
  stf(dst + 3 * xiStride, u1 - u3);
  return dst + 4 * xiStride;
}

/** putInputRow for 4 neighbouring tiles (lane k: tile k), stored at dst … dst + 16 bytes per ξ. */
// @ts-ignore: decorator
@inline function putInputRow4(dst: usize, xiStride: usize, u0: v128, u1: v128, u2: v128, u3: v128): usize {
  v128.store(dst, f32x4.sub(u0, u2));
  v128.store(dst + xiStride, f32x4.add(u1, u2));
  v128.store(dst + 2 * xiStride, f32x4.sub(u2, u1));
  v128.store(dst + 3 * xiStride, f32x4.sub(u1, u3));
  return dst + 4 * xiStride;
}

/**
 * V[ξ][p][t] = (Bᵀ d B)_ξ of the 4×4 patch at rows 2ty…2ty+3, columns 2tx…2tx+3 of plane p of the
 * zero-padded input xp [planes][Hw][Ww] (Hw = 2·TH + 2, Ww = 2·TW + 2), t = ty·TW + tx. Units: planes.
 */
export function winogradInput(xp: usize, v: usize, planes: i32, Hw: i32, Ww: i32, TH: i32, TW: i32, lo: i32, hi: i32): void {
  const T = TH * TW;
  const xiStride = <usize>(planes * T) << 2;
  const rowBytes = <usize>Ww << 2;
  for (let p = lo; p < hi; p++) {
    const plane = xp + <usize>(p * Hw * Ww) * 4;
    const out = v + (<usize>(p * T) << 2);
    for (let ty = 0; ty < TH; ty++) {
      const r0 = plane + <usize>(2 * ty) * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
      let tx = 0;
      // 4 tiles at a time: columns 2tx + {0, 1, 2, 3} of 4 neighbouring tiles are the even and odd
      // lanes of the 8 floats from 2tx and of the 8 from 2tx + 2
      for (; tx + 4 <= TW; tx += 4) {
        const c = <usize>(2 * tx) << 2;
        let dst = out + (<usize>(ty * TW + tx) << 2);
        // per patch row: vectors of the 8 floats from 2tx (v) and from 2tx + 2 (w), split even / odd
        let v = v128.load(r0 + c), vv = v128.load(r0 + c, 16), w = v128.load(r0 + c, 8), ww = v128.load(r0 + c, 24);
        const a0 = v128.shuffle<f32>(v, vv, 0, 2, 4, 6), a1 = v128.shuffle<f32>(v, vv, 1, 3, 5, 7);
        const a2 = v128.shuffle<f32>(w, ww, 0, 2, 4, 6), a3 = v128.shuffle<f32>(w, ww, 1, 3, 5, 7);
        v = v128.load(r1 + c), vv = v128.load(r1 + c, 16), w = v128.load(r1 + c, 8), ww = v128.load(r1 + c, 24);
        const b0 = v128.shuffle<f32>(v, vv, 0, 2, 4, 6), b1 = v128.shuffle<f32>(v, vv, 1, 3, 5, 7);
        const b2 = v128.shuffle<f32>(w, ww, 0, 2, 4, 6), b3 = v128.shuffle<f32>(w, ww, 1, 3, 5, 7);
        v = v128.load(r2 + c), vv = v128.load(r2 + c, 16), w = v128.load(r2 + c, 8), ww = v128.load(r2 + c, 24);
        const e0 = v128.shuffle<f32>(v, vv, 0, 2, 4, 6), e1 = v128.shuffle<f32>(v, vv, 1, 3, 5, 7);
        const e2 = v128.shuffle<f32>(w, ww, 0, 2, 4, 6), e3 = v128.shuffle<f32>(w, ww, 1, 3, 5, 7);
        v = v128.load(r3 + c), vv = v128.load(r3 + c, 16), w = v128.load(r3 + c, 8), ww = v128.load(r3 + c, 24);
        const f0 = v128.shuffle<f32>(v, vv, 0, 2, 4, 6), f1 = v128.shuffle<f32>(v, vv, 1, 3, 5, 7);
        const f2 = v128.shuffle<f32>(w, ww, 0, 2, 4, 6), f3 = v128.shuffle<f32>(w, ww, 1, 3, 5, 7);
        dst = putInputRow4(dst, xiStride, f32x4.sub(a0, e0), f32x4.sub(a1, e1), f32x4.sub(a2, e2), f32x4.sub(a3, e3));
        dst = putInputRow4(dst, xiStride, f32x4.add(b0, e0), f32x4.add(b1, e1), f32x4.add(b2, e2), f32x4.add(b3, e3));
        dst = putInputRow4(dst, xiStride, f32x4.sub(e0, b0), f32x4.sub(e1, b1), f32x4.sub(e2, b2), f32x4.sub(e3, b3));
        putInputRow4(dst, xiStride, f32x4.sub(b0, f0), f32x4.sub(b1, f1), f32x4.sub(b2, f2), f32x4.sub(b3, f3));
      }
      for (; tx < TW; tx++) {
        const c = <usize>(2 * tx) << 2;
        let dst = out + (<usize>(ty * TW + tx) << 2);
        // u = Bᵀ d (rows d0 − d2, d1 + d2, d2 − d1, d1 − d3), then the same along each row of u
        const a0 = ldf(r0 + c), a1 = ldf(r0 + c + 4), a2 = ldf(r0 + c + 8), a3 = ldf(r0 + c + 12);
        const b0 = ldf(r1 + c), b1 = ldf(r1 + c + 4), b2 = ldf(r1 + c + 8), b3 = ldf(r1 + c + 12);
        const e0 = ldf(r2 + c), e1 = ldf(r2 + c + 4), e2 = ldf(r2 + c + 8), e3 = ldf(r2 + c + 12);
        const f0 = ldf(r3 + c), f1 = ldf(r3 + c + 4), f2 = ldf(r3 + c + 8), f3 = ldf(r3 + c + 12);
        dst = putInputRow(dst, xiStride, a0 - e0, a1 - e1, a2 - e2, a3 - e3);
        dst = putInputRow(dst, xiStride, b0 + e0, b1 + e1, b2 + e2, b3 + e3);
        dst = putInputRow(dst, xiStride, e0 - b0, e1 - b1, e2 - b2, e3 - b3);
        putInputRow(dst, xiStride, b0 - f0, b1 - f1, b2 - f2, b3 - f3);
      }
    }
  }
}

/**
 * M_ξ = U_ξ · V_ξ on the row kernel, a 1×J convolution of rows of S transforms (1×1 here: J = 1,
 * S = T; winograd_rows.ts: J chunks of 3 taps): units are (ξ, image, row, block of 4 output channels),
 * ξ slowest; V [ξ][N][C][H][S], M [ξ][N][O][H][T], U packed for convRows (block 4).
 */
export function winogradProducts(v: usize, u: usize, m: usize, N: i32, C: i32, O: i32, H: i32, T: i32, J: i32, S: i32, lo: i32, hi: i32): void {
  const blocks = (O + 3) >> 2;
  const perXi = N * H * blocks;
  const uXi = <usize>(blocks * 4 * C * J) << 2, vXi = <usize>(N * C * H * S) << 2, mXi = <usize>(N * O * H * T) << 2;
  for (let k = lo; k < hi; k++) {
    const xi = k / perXi, r = k % perXi;
    convRows(v + <usize>xi * vXi, H, S, C, u + <usize>xi * uXi, 0, m + <usize>xi * mXi, O, H, T, 1, C, O, 1, J, 1, 1, 1, 0, 0, r, r + 1);
  }
}

/** Tiles of a tile row that winogradOutput writes 4 at a time: groups of 4 whose 8 output columns fit. */
// @ts-ignore: decorator
@inline function fullTiles(TW: i32, OW: i32): i32 {
  let n = 0;
  while (n + 4 <= TW && 2 * n + 7 < OW) n += 4;
  return n;
}

/**
 * y = Aᵀ M A per tile (+ bias, ReLU), for planes (n, o) of y [N·O][OH][OW] from M [16][N·O][T]: each
 * tile gives y rows 2ty, 2ty+1 and columns 2tx, 2tx+1 that fall inside. Units: planes.
 */
export function winogradOutput(m: usize, y: usize, bias: usize, relu: i32, planes: i32, O: i32, OH: i32, OW: i32, TH: i32, TW: i32, lo: i32, hi: i32): void {
  const T = TH * TW;
  const xiStride = <usize>(planes * T) << 2;
  for (let p = lo; p < hi; p++) {
    const bv: f32 = bias ? ldf(bias + (<usize>(p % O) << 2)) : 0;
    const src = m + (<usize>(p * T) << 2);
    const plane = y + (<usize>(p * OH * OW) << 2);
    const vb = f32x4.splat(bv);
    let t = 0;
    // 4 neighbouring tiles of one tile row at a time, when all their outputs fall inside: their two
    // output rows are the lanes of y00, y01 (and y10, y11) interleaved
    for (let ty = 0; ty < TH; ty++) {
      if (2 * ty + 1 >= OH) break;
      for (let tx = 0; tx + 4 <= TW && 2 * tx + 7 < OW; tx += 4) {
        let q = src + (<usize>(ty * TW + tx) << 2);
        const m0 = v128.load(q); q += xiStride; const m1 = v128.load(q); q += xiStride; const m2 = v128.load(q); q += xiStride; const m3 = v128.load(q); q += xiStride;
        const m4 = v128.load(q); q += xiStride; const m5 = v128.load(q); q += xiStride; const m6 = v128.load(q); q += xiStride; const m7 = v128.load(q); q += xiStride;
        const m8 = v128.load(q); q += xiStride; const m9 = v128.load(q); q += xiStride; const m10 = v128.load(q); q += xiStride; const m11 = v128.load(q); q += xiStride;
        const m12 = v128.load(q); q += xiStride; const m13 = v128.load(q); q += xiStride; const m14 = v128.load(q); q += xiStride; const m15 = v128.load(q);
        const r00 = f32x4.add(f32x4.add(m0, m4), m8), r01 = f32x4.add(f32x4.add(m1, m5), m9);
        const r02 = f32x4.add(f32x4.add(m2, m6), m10), r03 = f32x4.add(f32x4.add(m3, m7), m11);
        const r10 = f32x4.sub(f32x4.sub(m4, m8), m12), r11 = f32x4.sub(f32x4.sub(m5, m9), m13);
        const r12 = f32x4.sub(f32x4.sub(m6, m10), m14), r13 = f32x4.sub(f32x4.sub(m7, m11), m15);
        let y00 = f32x4.add(f32x4.add(f32x4.add(r00, r01), r02), vb), y01 = f32x4.add(f32x4.sub(f32x4.sub(r01, r02), r03), vb);
        let y10 = f32x4.add(f32x4.add(f32x4.add(r10, r11), r12), vb), y11 = f32x4.add(f32x4.sub(f32x4.sub(r11, r12), r13), vb);
        if (relu) {
          y00 = reluKeepNaN(y00); y01 = reluKeepNaN(y01); y10 = reluKeepNaN(y10); y11 = reluKeepNaN(y11);
        }
        const at = plane + (<usize>(2 * ty * OW + 2 * tx) << 2), below = at + (<usize>OW << 2);
        v128.store(at, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5));
        v128.store(at, v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), 16);
        v128.store(below, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5));
        v128.store(below, v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), 16);
      }
    }
    for (; t < T; t++) {
      const ty0 = t / TW, tx0 = t % TW;
      // the tiles done 4 at a time above
      if (2 * ty0 + 1 < OH && tx0 < fullTiles(TW, OW)) continue;
      let q = src + (<usize>t << 2);
      const m0 = ldf(q); q += xiStride; const m1 = ldf(q); q += xiStride; const m2 = ldf(q); q += xiStride; const m3 = ldf(q); q += xiStride;
      const m4 = ldf(q); q += xiStride; const m5 = ldf(q); q += xiStride; const m6 = ldf(q); q += xiStride; const m7 = ldf(q); q += xiStride;
      const m8 = ldf(q); q += xiStride; const m9 = ldf(q); q += xiStride; const m10 = ldf(q); q += xiStride; const m11 = ldf(q); q += xiStride;
      const m12 = ldf(q); q += xiStride; const m13 = ldf(q); q += xiStride; const m14 = ldf(q); q += xiStride; const m15 = ldf(q);
      // r = Aᵀ m (rows m0 + m1 + m2 and m1 − m2 − m3 of the 4×4, by column), then the same by row
      const r00 = m0 + m4 + m8, r01 = m1 + m5 + m9, r02 = m2 + m6 + m10, r03 = m3 + m7 + m11;
      const r10 = m4 - m8 - m12, r11 = m5 - m9 - m13, r12 = m6 - m10 - m14, r13 = m7 - m11 - m15;
      let y00 = r00 + r01 + r02 + bv, y01 = r01 - r02 - r03 + bv;
      let y10 = r10 + r11 + r12 + bv, y11 = r11 - r12 - r13 + bv;
      if (relu) {
        y00 = reluKeepNaNScalar(y00); y01 = reluKeepNaNScalar(y01);
        y10 = reluKeepNaNScalar(y10); y11 = reluKeepNaNScalar(y11);
      }
      const ty = t / TW, tx = t % TW;
      const oy = 2 * ty, ox = 2 * tx;
      const at = plane + (<usize>(oy * OW + ox) << 2);
      stf(at, y00);
      if (ox + 1 < OW) stf(at + 4, y01);
      if (oy + 1 < OH) {
        stf(at + (<usize>OW << 2), y10);
        if (ox + 1 < OW) stf(at + (<usize>OW << 2) + 4, y11);
      }
    }
  }
}
