// Winograd F(3, 3) along rows, for 1×k layers with k a multiple of 3 (conv1d k9: three chunks of 3
// taps). Each block of 3 outputs ("tile") of one chunk comes from 5 inputs d as y = Aᵀ[(G g) ⊙ (Bᵀ d)]
// (Toom-Cook on the points 0, 1, −1, 2, ∞). Chunk j of tile t reads the inputs of tile t + j, so one
// input transform per tile serves every chunk, and the products are a 1×J convolution of the
// transformed rows: 1.8× fewer multiply-adds than the direct sum, on the row kernel (convRows).
//
//   Bᵀ = [2 −1 −2 1 0; 0 −2 −1 1 0; 0 2 −3 1 0; 0 −1 0 1 0; 0 2 −1 −2 1]
//   G  = [½ 0 0; −½ −½ −½; −⅙ ⅙ −⅙; ⅙ ⅓ ⅔; 0 0 1]
//   Aᵀ = [1 1 1 1 0; 0 1 −1 2 0; 0 1 1 4 1]
import { ldf, reluKeepNaN, reluKeepNaNScalar, stf } from './common';
import { convRows } from './conv';

/**
 * U_ξ = (G g)_ξ for every chunk j of 3 taps of each (o, c) of OIHW 1×k weights w [O][C][1][3J],
 * packed for convRows as a 1×J layer in blocks of 4 output channels: u[ξ][o / 4][c][j][o % 4] (zero
 * past O), then max|w| (+Inf if a weight is not finite), which bounds what the transforms may see.
 */
export function winogradRowsWeights(w: usize, u: usize, O: i32, C: i32, J: i32): void {
  const blocks = (O + 3) >> 2;
  const perXi = <usize>(blocks * 4 * C * J) << 2;
  memory.fill(u, 0, perXi * 5);
  let wMax: f32 = 0;
  let poison: f32 = 0;
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < J; j++) {
        const k = w + (<usize>((o * C + c) * 3 * J + 3 * j) << 2);
        const g0 = ldf(k), g1 = ldf(k + 4), g2 = ldf(k + 8);
        const a = Mathf.max(Mathf.max(Mathf.abs(g0), Mathf.abs(g1)), Mathf.abs(g2));
        wMax = Mathf.max(wMax, a);
        poison += g0 - g0 + g1 - g1 + g2 - g2;
        // in f64, rounded once: thirds and sixths are not exact in f32
        const d0 = <f64>g0, d1 = <f64>g1, d2 = <f64>g2;
        const at = u + (<usize>((((o >> 2) * C + c) * J + j) * 4 + (o & 3)) << 2);
        stf(at, <f32>(0.5 * d0));
        stf(at + perXi, <f32>(-0.5 * (d0 + d1 + d2)));
        stf(at + 2 * perXi, <f32>((d1 - d0 - d2) / 6));
        stf(at + 3 * perXi, <f32>((d0 + 2 * d1 + 4 * d2) / 6));
        stf(at + 4 * perXi, g2);
      }
    }
  }
  stf(u + 5 * perXi, poison == 0 ? wMax : Infinity);
}

/** Bᵀ d for one vector of d0…d4 (lane k: tile k), stored xiStride bytes apart from dst. */
// @ts-ignore: decorator
@inline function putInput4(dst: usize, xiStride: usize, d0: v128, d1: v128, d2: v128, d3: v128, d4: v128): void {
  const a = f32x4.sub(d3, d1), b = f32x4.sub(d3, d2), e = f32x4.sub(d0, d2), f = f32x4.sub(d1, d2);
  v128.store(dst, f32x4.add(f32x4.add(e, e), a));
  v128.store(dst + xiStride, f32x4.sub(b, f32x4.add(d1, d1)));
  v128.store(dst + 2 * xiStride, f32x4.add(b, f32x4.add(f, f)));
  v128.store(dst + 3 * xiStride, a);
  v128.store(dst + 4 * xiStride, f32x4.sub(f32x4.sub(d4, d2), f32x4.add(a, a)));
}

/**
 * V[ξ][row][s] = (Bᵀ d)_ξ for s < S, d = columns 3s − padLeft … 3s − padLeft + 4 of the rows of x
 * [rows][W], zero outside. Units: rows.
 */
export function winogradRowsInput(x: usize, v: usize, rows: i32, W: i32, padLeft: i32, S: i32, lo: i32, hi: i32): void {
  const xiStride = <usize>(rows * S) << 2;
  // tiles [inside, insideEnd) read 16 floats from 3s − padLeft that all lie in the row
  const inside = min(S, (padLeft + 2) / 3);
  const insideEnd = max(inside, min(S, (W + padLeft - 16) / 3 + 1));
  for (let r = lo; r < hi; r++) {
    const row = x + (<usize>(r * W) << 2);
    const out = v + (<usize>(r * S) << 2);
    let s = 0;
    for (; s < inside; s++) inputTile(row, W, 3 * s - padLeft, out + (<usize>s << 2), xiStride);
    // 4 tiles at a time: lanes k of d_i = x[3(s + k) + i − padLeft], picked from 16 floats by shuffles
    for (; s + 4 <= insideEnd; s += 4) {
      const p = row + (<usize>(3 * s - padLeft) << 2);
      const A = v128.load(p), B = v128.load(p, 16), C = v128.load(p, 32), D = v128.load(p, 48);
      const d0 = v128.shuffle<f32>(v128.shuffle<f32>(A, B, 0, 3, 6, 0), C, 0, 1, 2, 5);
      const d1 = v128.shuffle<f32>(v128.shuffle<f32>(A, B, 1, 4, 7, 0), C, 0, 1, 2, 6);
      const d2 = v128.shuffle<f32>(v128.shuffle<f32>(A, B, 2, 5, 0, 0), C, 0, 1, 4, 7);
      const d3 = v128.shuffle<f32>(d0, D, 1, 2, 3, 4);
      const d4 = v128.shuffle<f32>(d1, D, 1, 2, 3, 5);
      putInput4(out + (<usize>s << 2), xiStride, d0, d1, d2, d3, d4);
    }
    for (; s < S; s++) inputTile(row, W, 3 * s - padLeft, out + (<usize>s << 2), xiStride);
  }
}

/** One tile's Bᵀ d, d = row[c0 … c0 + 4] with zeros outside [0, W). */
// @ts-ignore: decorator
@inline function inputTile(row: usize, W: i32, c0: i32, dst: usize, xiStride: usize): void {
  const d0 = at(row, W, c0), d1 = at(row, W, c0 + 1), d2 = at(row, W, c0 + 2), d3 = at(row, W, c0 + 3), d4 = at(row, W, c0 + 4);
  const a = d3 - d1, b = d3 - d2;
  stf(dst, 2 * (d0 - d2) + a);
  stf(dst + xiStride, b - 2 * d1);
  stf(dst + 2 * xiStride, b + 2 * (d1 - d2));
  stf(dst + 3 * xiStride, a);
  stf(dst + 4 * xiStride, d4 - d2 - 2 * a);
}

// @ts-ignore: decorator
@inline function at(row: usize, W: i32, c: i32): f32 {
  return <u32>c < <u32>W ? ldf(row + (<usize>c << 2)) : 0;
}

/**
 * y = Aᵀ m per tile (+ bias, ReLU) for rows of y [N·O·OH][OW] from M [5][N·O·OH][T]: tile t gives
 * columns 3t, 3t + 1, 3t + 2 that fall inside. Units: rows; a row's channel is (row / OH) % O.
 */
export function winogradRowsOutput(m: usize, y: usize, bias: usize, relu: i32, rows: i32, O: i32, OH: i32, OW: i32, T: i32, lo: i32, hi: i32): void {
  const xiStride = <usize>(rows * T) << 2;
  for (let r = lo; r < hi; r++) {
    const bv: f32 = bias ? ldf(bias + (<usize>((r / OH) % O) << 2)) : 0;
    const vb = f32x4.splat(bv);
    const src = m + (<usize>(r * T) << 2);
    const out = y + (<usize>(r * OW) << 2);
    let t = 0;
    // 4 tiles at a time while their 12 outputs fall inside: y0, y1, y2 (lane k: tile k) interleaved
    for (; t + 4 <= T && 3 * t + 12 <= OW; t += 4) {
      const q = src + (<usize>t << 2);
      const m0 = v128.load(q), m1 = v128.load(q + xiStride), m2 = v128.load(q + 2 * xiStride);
      const m3 = v128.load(q + 3 * xiStride), m4 = v128.load(q + 4 * xiStride);
      const s12 = f32x4.add(m1, m2), m33 = f32x4.add(m3, m3);
      let y0 = f32x4.add(f32x4.add(f32x4.add(m0, s12), m3), vb);
      let y1 = f32x4.add(f32x4.add(f32x4.sub(m1, m2), m33), vb);
      let y2 = f32x4.add(f32x4.add(f32x4.add(s12, f32x4.add(m33, m33)), m4), vb);
      if (relu) {
        y0 = reluKeepNaN(y0); y1 = reluKeepNaN(y1); y2 = reluKeepNaN(y2);
      }
      const at = out + (<usize>(3 * t) << 2);
      v128.store(at, v128.shuffle<f32>(v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), y2, 0, 1, 4, 2));
      v128.store(at, v128.shuffle<f32>(v128.shuffle<f32>(y1, y2, 1, 5, 2, 6), y0, 0, 1, 6, 2), 16);
      v128.store(at, v128.shuffle<f32>(y2, v128.shuffle<f32>(y0, y1, 3, 7, 3, 7), 2, 4, 5, 3), 32);
    }
    for (; t < T; t++) {
      const q = src + (<usize>t << 2);
      const m0 = ldf(q), m1 = ldf(q + xiStride), m2 = ldf(q + 2 * xiStride), m3 = ldf(q + 3 * xiStride), m4 = ldf(q + 4 * xiStride);
      let y0 = m0 + (m1 + m2) + m3 + bv;
      let y1 = m1 - m2 + (m3 + m3) + bv;
      let y2 = (m1 + m2) + 4 * m3 + m4 + bv;
      if (relu) {
        y0 = reluKeepNaNScalar(y0); y1 = reluKeepNaNScalar(y1); y2 = reluKeepNaNScalar(y2);
      }
      const at = out + (<usize>(3 * t) << 2);
      stf(at, y0);
      if (3 * t + 1 < OW) stf(at + 4, y1);
      if (3 * t + 2 < OW) stf(at + 8, y2);
    }
  }
}

/**
 * For each unit, a block of 4 output channels of one row of one image: its products M_ξ = U_ξ · V_ξ
 * for all 5 ξ (winogradProducts' layout, M [5][N·O·H][T]), then its outputs while M is still in
 * cache (as separate passes, the output pass read M back from memory). Units: (n·H + oy)·blocks + ob.
 */
export function winogradRowsProducts(
  v: usize, u: usize, m: usize, y: usize, bias: usize, relu: i32, N: i32, C: i32, O: i32, H: i32, T: i32, J: i32, S: i32, OW: i32,
  lo: i32, hi: i32,
): void {
  const blocks = (O + 3) >> 2;
  const uXi = <usize>(blocks * 4 * C * J) << 2, vXi = <usize>(N * C * H * S) << 2, mXi = <usize>(N * O * H * T) << 2;
  for (let k = lo; k < hi; k++) {
    for (let xi = 0; xi < 5; xi++) {
      convRows(v + <usize>xi * vXi, H, S, C, u + <usize>xi * uXi, 0, m + <usize>xi * mXi, O, H, T, 1, C, O, 1, J, 1, 1, 1, 0, 0, k, k + 1);
    }
    const ob = k % blocks, n = k / blocks / H, oy = (k / blocks) % H;
    for (let co = ob * 4; co < min(O, ob * 4 + 4); co++) {
      const row = (n * O + co) * H + oy;
      winogradRowsOutput(m, y, bias, relu, N * O * H, O, H, OW, T, row, row + 1);
    }
  }
}
