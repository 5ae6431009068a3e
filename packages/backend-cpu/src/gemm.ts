/**
 * A blocked single-precision GEMM in plain TypeScript (one thread, synchronous).
 *
 *   C[M, N] (+)= op(A)[M, K] · op(B)[K, N]
 *
 * Operands are addressed through strides, so transposes (and im2col views) cost nothing extra: they
 * are absorbed by the packing step. A(i, k) = a[aOff + i·aRs + k·aCs], B(k, j) = b[bOff + k·bRs + j·bCs],
 * C(i, j) = c[cOff + i·ldc + j]. Inputs may be Float32Array or Float64Array.
 *
 * Structure (Goto/BLIS): cache blocks of KC × NC of B and MC × KC of A are packed into contiguous
 * float64 panels (MR rows / NR columns interleaved per k, zero-padded at the edges), then a 6 × 8
 * register-blocked micro-kernel streams the panels with its 48 accumulators in local variables.
 * JavaScript arithmetic is float64, so packing to float64 saves a conversion per load and gives
 * float64 accumulation. Scratch panels are module-level and only grow.
 */

export type FloatArray = Float32Array | Float64Array;

const MR = 6;
const NR = 8;
const KC = 128;
const MC = 120; // multiple of MR
const NC = 512; // multiple of NR

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(NC * KC);
const tile = new Float64Array(MR * NR);

/** The 6 × 8 register tile: t[i·8 + j] = Σ_p ap[ai + 6p + i] · bp[bi + 8p + j], p < kc (also used by direct.ts). */
export function microKernel(kc: number, ap: Float64Array, ai: number, bp: Float64Array, bi: number, t: Float64Array): void {
  let c00 = 0.0; let c01 = 0.0; let c02 = 0.0; let c03 = 0.0; let c04 = 0.0; let c05 = 0.0; let c06 = 0.0; let c07 = 0.0;
  let c10 = 0.0; let c11 = 0.0; let c12 = 0.0; let c13 = 0.0; let c14 = 0.0; let c15 = 0.0; let c16 = 0.0; let c17 = 0.0;
  let c20 = 0.0; let c21 = 0.0; let c22 = 0.0; let c23 = 0.0; let c24 = 0.0; let c25 = 0.0; let c26 = 0.0; let c27 = 0.0;
  let c30 = 0.0; let c31 = 0.0; let c32 = 0.0; let c33 = 0.0; let c34 = 0.0; let c35 = 0.0; let c36 = 0.0; let c37 = 0.0;
  let c40 = 0.0; let c41 = 0.0; let c42 = 0.0; let c43 = 0.0; let c44 = 0.0; let c45 = 0.0; let c46 = 0.0; let c47 = 0.0;
  let c50 = 0.0; let c51 = 0.0; let c52 = 0.0; let c53 = 0.0; let c54 = 0.0; let c55 = 0.0; let c56 = 0.0; let c57 = 0.0;
  let b = 0.0;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[ai + 0]; const a1 = ap[ai + 1]; const a2 = ap[ai + 2]; const a3 = ap[ai + 3]; const a4 = ap[ai + 4]; const a5 = ap[ai + 5];
    b = bp[bi + 0]; c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; c30 += a3 * b; c40 += a4 * b; c50 += a5 * b;
    b = bp[bi + 1]; c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; c31 += a3 * b; c41 += a4 * b; c51 += a5 * b;
    b = bp[bi + 2]; c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; c32 += a3 * b; c42 += a4 * b; c52 += a5 * b;
    b = bp[bi + 3]; c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; c33 += a3 * b; c43 += a4 * b; c53 += a5 * b;
    b = bp[bi + 4]; c04 += a0 * b; c14 += a1 * b; c24 += a2 * b; c34 += a3 * b; c44 += a4 * b; c54 += a5 * b;
    b = bp[bi + 5]; c05 += a0 * b; c15 += a1 * b; c25 += a2 * b; c35 += a3 * b; c45 += a4 * b; c55 += a5 * b;
    b = bp[bi + 6]; c06 += a0 * b; c16 += a1 * b; c26 += a2 * b; c36 += a3 * b; c46 += a4 * b; c56 += a5 * b;
    b = bp[bi + 7]; c07 += a0 * b; c17 += a1 * b; c27 += a2 * b; c37 += a3 * b; c47 += a4 * b; c57 += a5 * b;
    ai += 6;
    bi += 8;
  }
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03; t[4] = c04; t[5] = c05; t[6] = c06; t[7] = c07;
  t[8] = c10; t[9] = c11; t[10] = c12; t[11] = c13; t[12] = c14; t[13] = c15; t[14] = c16; t[15] = c17;
  t[16] = c20; t[17] = c21; t[18] = c22; t[19] = c23; t[20] = c24; t[21] = c25; t[22] = c26; t[23] = c27;
  t[24] = c30; t[25] = c31; t[26] = c32; t[27] = c33; t[28] = c34; t[29] = c35; t[30] = c36; t[31] = c37;
  t[32] = c40; t[33] = c41; t[34] = c42; t[35] = c43; t[36] = c44; t[37] = c45; t[38] = c46; t[39] = c47;
  t[40] = c50; t[41] = c51; t[42] = c52; t[43] = c53; t[44] = c54; t[45] = c55; t[46] = c56; t[47] = c57;
}
/** Packs A(ic .. ic+mc, pc .. pc+kc) into MR-row panels: panel r, step p → packA[r·MR·kc + p·MR + i]. */
function packPanelsA(
  a: FloatArray, aOff: number, aRs: number, aCs: number,
  ic: number, mc: number, pc: number, kc: number, dst: Float64Array,
): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    const rows = Math.min(MR, mc - ir);
    for (let i = 0; i < rows; i++) {
      let src = aOff + (ic + ir + i) * aRs + pc * aCs;
      let d = base + i;
      for (let p = 0; p < kc; p++) {
        dst[d] = a[src];
        src += aCs;
        d += MR;
      }
    }
    for (let i = rows; i < MR; i++) {
      let d = base + i;
      for (let p = 0; p < kc; p++) {
        dst[d] = 0;
        d += MR;
      }
    }
  }
}

/** Packs B(pc .. pc+kc, jc .. jc+nc) into NR-column panels: panel c, step p → packB[c·NR·kc + p·NR + j]. */
function packPanelsB(
  b: FloatArray, bOff: number, bRs: number, bCs: number,
  pc: number, kc: number, jc: number, nc: number, dst: Float64Array,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    const cols = Math.min(NR, nc - jr);
    if (cols === NR && bCs === 1) {
      let src = bOff + pc * bRs + jc + jr;
      let d = base;
      for (let p = 0; p < kc; p++) {
        dst[d] = b[src];
        dst[d + 1] = b[src + 1];
        dst[d + 2] = b[src + 2];
        dst[d + 3] = b[src + 3];
        dst[d + 4] = b[src + 4];
        dst[d + 5] = b[src + 5];
        dst[d + 6] = b[src + 6];
        dst[d + 7] = b[src + 7];
        src += bRs;
        d += NR;
      }
      continue;
    }
    for (let j = 0; j < NR; j++) {
      let d = base + j;
      if (j < cols) {
        let src = bOff + pc * bRs + (jc + jr + j) * bCs;
        for (let p = 0; p < kc; p++) {
          dst[d] = b[src];
          src += bRs;
          d += NR;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          dst[d] = 0;
          d += NR;
        }
      }
    }
  }
}

/**
 * C(i, j) = (accumulate ? C(i, j) : 0) + Σ_k A(i, k)·B(k, j) for i < M, j < N.
 */
export function gemm(
  M: number, N: number, K: number,
  a: FloatArray, aOff: number, aRs: number, aCs: number,
  b: FloatArray, bOff: number, bRs: number, bCs: number,
  c: FloatArray, cOff: number, ldc: number,
  accumulate: boolean,
): void {
  if (M <= 0 || N <= 0) return;
  if (!accumulate) {
    for (let i = 0; i < M; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + N);
  }
  if (K <= 0) return;
  const t = tile;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      const ncPad = Math.ceil(nc / NR) * NR;
      if (packB.length < ncPad * kc) packB = new Float64Array(ncPad * kc);
      const pb = packB;
      packPanelsB(b, bOff, bRs, bCs, pc, kc, jc, nc, pb);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        const mcPad = Math.ceil(mc / MR) * MR;
        if (packA.length < mcPad * kc) packA = new Float64Array(mcPad * kc);
        const pa = packA;
        packPanelsA(a, aOff, aRs, aCs, ic, mc, pc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const cols = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = Math.min(MR, mc - ir);
            microKernel(kc, pa, ir * kc, pb, jr * kc, t);
            let ci = cOff + (ic + ir) * ldc + jc + jr;
            if (cols === NR) {
              for (let i = 0, ti = 0; i < rows; i++, ti += NR, ci += ldc) {
                c[ci] += t[ti];
                c[ci + 1] += t[ti + 1];
                c[ci + 2] += t[ti + 2];
                c[ci + 3] += t[ti + 3];
                c[ci + 4] += t[ti + 4];
                c[ci + 5] += t[ti + 5];
                c[ci + 6] += t[ti + 6];
                c[ci + 7] += t[ti + 7];
              }
            } else {
              for (let i = 0, ti = 0; i < rows; i++, ti += NR, ci += ldc) {
                for (let j = 0; j < cols; j++) c[ci + j] += t[ti + j];
              }
            }
          }
        }
      }
    }
  }
}
