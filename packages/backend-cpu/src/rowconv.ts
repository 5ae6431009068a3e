/**
 * Row-direct convolution for tiny layers (LeNet's first layer: C = 1, 5×5, O = 6): stride 1,
 * dilation 1, one group. Per image the input is copied into a small zero-bordered float64 buffer
 * (so the taps need no bounds tests and it stays in L1); then for each output channel and output row,
 * blocks of 8 (then 4) adjacent outputs accumulate every tap (c, ky, kx) in registers, the kx taps of a 5-wide
 * (or 3-wide) filter unrolled over a sliding window of input values. Accumulation is float64.
 * GEMM machinery (packing, panels, 6 × 8 tiles) would be pure overhead at these sizes.
 */

let padScratch = new Float64Array(0);
let wScratch = new Float64Array(0);

/** The grow-only zero-bordered buffer for C planes of the (OH + kh − 1) × (OW + kw − 1) padded image. */
function paddedScratch(C: number, kh: number, kw: number, OH: number, OW: number): { Hp: number; Wp: number; plane: number; xp: Float64Array } {
  const Hp = OH + kh - 1, Wp = OW + kw - 1, plane = Hp * Wp;
  if (padScratch.length < C * plane) padScratch = new Float64Array(C * plane);
  return { Hp, Wp, plane, xp: padScratch };
}

/**
 * Copies image n of x [N, C, H, W] into the zero-padded float64 buffer xp (C planes of Hp×Wp, the
 * image at row pt, column pl); [c0, c1) are the buffer columns that hold source data.
 */
function padImage(x: Float32Array, n: number, C: number, H: number, W: number, Hp: number, Wp: number, pt: number, pl: number, c0: number, c1: number, plane: number, xp: Float64Array): void {
  for (let c = 0; c < C; c++) {
    const src = (n * C + c) * H * W, dst = c * plane;
    for (let r = 0; r < Hp; r++) {
      const sy = r - pt, d = dst + r * Wp;
      if (sy < 0 || sy >= H || c1 === c0) {
        xp.fill(0, d, d + Wp);
        continue;
      }
      for (let j = 0; j < c0; j++) xp[d + j] = 0;
      for (let j = c0, s = src + sy * W + c0 - pl; j < c1; j++, s++) xp[d + j] = x[s]!;
      for (let j = c1; j < Wp; j++) xp[d + j] = 0;
    }
  }
}

/** Whether the row-direct method should run a forward layer with this reduction (C·kh·kw). */
export function rowConvWorthIt(c: number, kh: number, kw: number, o: number): boolean {
  return c * kh * kw <= 32 && o <= 16;
}

/**
 * y[n, o, oy, ox] = b[o] + Σ_{c, ky, kx} x[n, c, oy − pt + ky, ox − pl + kx] · w[o, c, ky, kx]
 * (zero outside x), for oy < OH, ox < OW; y (N·O·OH·OW) is overwritten. `flip` reads the filter
 * as wt[o, c, ky, kx] = w[c, o, kh−1−ky, kw−1−kx] (the input gradient's transposed, flipped filter).
 */
export function rowConv2d(
  x: Float32Array, N: number, C: number, H: number, W: number,
  w: Float32Array, O: number, kh: number, kw: number, flip: boolean,
  bias: Float32Array | null, pt: number, pl: number, OH: number, OW: number, y: Float32Array,
): void {
  const { Hp, Wp, plane, xp } = paddedScratch(C, kh, kw, OH, OW);
  const K = C * kh * kw;
  if (wScratch.length < O * K) wScratch = new Float64Array(O * K);
  const wt = wScratch;
  const khw = kh * kw;
  for (let o = 0; o < O; o++) {
    for (let c = 0; c < C; c++) {
      const d = (o * C + c) * khw;
      if (flip) {
        const s = (c * O + o) * khw + khw - 1;
        for (let k = 0; k < khw; k++) wt[d + k] = w[s - k]!;
      } else {
        const s = (o * C + c) * khw;
        for (let k = 0; k < khw; k++) wt[d + k] = w[s + k]!;
      }
    }
  }
  // columns of the padded buffer holding source data: [c0, c1)
  const c0 = Math.min(Wp, Math.max(0, pl)), c1 = Math.max(c0, Math.min(Wp, W + pl));
  const P = OH * OW;
  const OW4 = OW - (OW & 3);
  for (let n = 0; n < N; n++) {
    padImage(x, n, C, H, W, Hp, Wp, pt, pl, c0, c1, plane, xp);
    for (let o = 0; o < O; o++) {
      const bo = bias !== null ? bias[o]! : 0;
      const wo = o * K;
      let yi = (n * O + o) * P;
      for (let oy = 0; oy < OH; oy++, yi += OW) {
        let ox = 0;
        if (kw === 5) {
          for (; ox < OW - 7; ox += 8) {
            let a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0, a5 = 0.0, a6 = 0.0, a7 = 0.0;
            for (let c = 0, wi = wo; c < C; c++) {
              for (let ky = 0, xi = c * plane + (oy + ky) * Wp + ox; ky < kh; ky++, xi += Wp, wi += 5) {
                const w0 = wt[wi]!, w1 = wt[wi + 1]!, w2 = wt[wi + 2]!, w3 = wt[wi + 3]!, w4 = wt[wi + 4]!;
                const x0 = xp[xi]!, x1 = xp[xi + 1]!, x2 = xp[xi + 2]!, x3 = xp[xi + 3]!;
                const x4 = xp[xi + 4]!, x5 = xp[xi + 5]!, x6 = xp[xi + 6]!, x7 = xp[xi + 7]!;
                a0 += w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3 + w4 * x4;
                a1 += w0 * x1 + w1 * x2 + w2 * x3 + w3 * x4 + w4 * x5;
                a2 += w0 * x2 + w1 * x3 + w2 * x4 + w3 * x5 + w4 * x6;
                a3 += w0 * x3 + w1 * x4 + w2 * x5 + w3 * x6 + w4 * x7;
                const x8 = xp[xi + 8]!, x9 = xp[xi + 9]!, x10 = xp[xi + 10]!, x11 = xp[xi + 11]!;
                a4 += w0 * x4 + w1 * x5 + w2 * x6 + w3 * x7 + w4 * x8;
                a5 += w0 * x5 + w1 * x6 + w2 * x7 + w3 * x8 + w4 * x9;
                a6 += w0 * x6 + w1 * x7 + w2 * x8 + w3 * x9 + w4 * x10;
                a7 += w0 * x7 + w1 * x8 + w2 * x9 + w3 * x10 + w4 * x11;
              }
            }
            y[yi + ox] = a0 + bo; y[yi + ox + 1] = a1 + bo; y[yi + ox + 2] = a2 + bo; y[yi + ox + 3] = a3 + bo;
            y[yi + ox + 4] = a4 + bo; y[yi + ox + 5] = a5 + bo; y[yi + ox + 6] = a6 + bo; y[yi + ox + 7] = a7 + bo;
          }
          for (; ox < OW4; ox += 4) {
            let a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
            for (let c = 0, wi = wo; c < C; c++) {
              for (let ky = 0, xi = c * plane + (oy + ky) * Wp + ox; ky < kh; ky++, xi += Wp, wi += 5) {
                const x0 = xp[xi]!, x1 = xp[xi + 1]!, x2 = xp[xi + 2]!, x3 = xp[xi + 3]!;
                const x4 = xp[xi + 4]!, x5 = xp[xi + 5]!, x6 = xp[xi + 6]!, x7 = xp[xi + 7]!;
                const w0 = wt[wi]!, w1 = wt[wi + 1]!, w2 = wt[wi + 2]!, w3 = wt[wi + 3]!, w4 = wt[wi + 4]!;
                a0 += w0 * x0 + w1 * x1 + w2 * x2 + w3 * x3 + w4 * x4;
                a1 += w0 * x1 + w1 * x2 + w2 * x3 + w3 * x4 + w4 * x5;
                a2 += w0 * x2 + w1 * x3 + w2 * x4 + w3 * x5 + w4 * x6;
                a3 += w0 * x3 + w1 * x4 + w2 * x5 + w3 * x6 + w4 * x7;
              }
            }
            y[yi + ox] = a0 + bo; y[yi + ox + 1] = a1 + bo; y[yi + ox + 2] = a2 + bo; y[yi + ox + 3] = a3 + bo;
          }
        } else if (kw === 3) {
          for (; ox < OW4; ox += 4) {
            let a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
            for (let c = 0, wi = wo; c < C; c++) {
              for (let ky = 0, xi = c * plane + (oy + ky) * Wp + ox; ky < kh; ky++, xi += Wp, wi += 3) {
                const x0 = xp[xi]!, x1 = xp[xi + 1]!, x2 = xp[xi + 2]!, x3 = xp[xi + 3]!;
                const x4 = xp[xi + 4]!, x5 = xp[xi + 5]!;
                const w0 = wt[wi]!, w1 = wt[wi + 1]!, w2 = wt[wi + 2]!;
                a0 += w0 * x0 + w1 * x1 + w2 * x2;
                a1 += w0 * x1 + w1 * x2 + w2 * x3;
                a2 += w0 * x2 + w1 * x3 + w2 * x4;
                a3 += w0 * x3 + w1 * x4 + w2 * x5;
              }
            }
            y[yi + ox] = a0 + bo; y[yi + ox + 1] = a1 + bo; y[yi + ox + 2] = a2 + bo; y[yi + ox + 3] = a3 + bo;
          }
        }
        // any width, and the last < 4 outputs of the unrolled widths
        for (; ox < OW; ox++) {
          let a = 0.0;
          for (let c = 0, wi = wo; c < C; c++) {
            for (let ky = 0, xi = c * plane + (oy + ky) * Wp + ox; ky < kh; ky++, xi += Wp) {
              for (let kx = 0; kx < kw; kx++, wi++) a += wt[wi]! * xp[xi + kx]!;
            }
          }
          y[yi + ox] = a + bo;
        }
      }
    }
  }
}

let accScratch = new Float64Array(0);

/**
 * dw[o, c, ky, kx] = Σ_{n, oy, ox} dy[n, o, oy, ox] · x[n, c, oy − pt + ky, ox − pl + kx] (zero outside
 * x) for the layers rowConv2d runs forward, with kw = 5 only (narrower filters have too few independent
 * accumulators to beat the direct method); dw (O·C·kh·kw) is overwritten. Per image and (o, c, ky),
 * each output row is one pass over dy's row against the padded input row, the kw products of a
 * 5-wide filter kept in 5 accumulators over a sliding window of input values.
 */
export function rowConv2dBackpropFilter(
  x: Float32Array, dy: Float32Array, N: number, C: number, H: number, W: number,
  O: number, kh: number, kw: number, pt: number, pl: number, OH: number, OW: number, dw: Float32Array,
): void {
  const { Hp, Wp, plane, xp } = paddedScratch(C, kh, kw, OH, OW);
  const K = C * kh * kw;
  if (accScratch.length < O * K) accScratch = new Float64Array(O * K);
  const acc = accScratch;
  acc.fill(0, 0, O * K);
  const c0 = Math.min(Wp, Math.max(0, pl)), c1 = Math.max(c0, Math.min(Wp, W + pl));
  const P = OH * OW;
  for (let n = 0; n < N; n++) {
    padImage(x, n, C, H, W, Hp, Wp, pt, pl, c0, c1, plane, xp);
    for (let o = 0; o < O; o++) {
      const dyo = (n * O + o) * P;
      for (let c = 0; c < C; c++) {
        for (let ky = 0; ky < kh; ky++) {
          const ai = ((o * C + c) * kh + ky) * 5;
          let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
          for (let oy = 0; oy < OH; oy++) {
            const di = dyo + oy * OW;
            let xi = c * plane + (oy + ky) * Wp;
            let x0 = xp[xi]!, x1 = xp[xi + 1]!, x2 = xp[xi + 2]!, x3 = xp[xi + 3]!;
            for (let ox = 0; ox < OW; ox++, xi++) {
              const x4 = xp[xi + 4]!;
              const d = dy[di + ox]!;
              s0 += d * x0; s1 += d * x1; s2 += d * x2; s3 += d * x3; s4 += d * x4;
              x0 = x1; x1 = x2; x2 = x3; x3 = x4;
            }
          }
          acc[ai]! += s0; acc[ai + 1]! += s1; acc[ai + 2]! += s2; acc[ai + 3]! += s3; acc[ai + 4]! += s4;
        }
      }
    }
  }
  for (let i = 0; i < O * K; i++) dw[i] = acc[i]!;
}
