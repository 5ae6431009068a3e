/**
 * Winograd F(4×4, 3×3) convolution for 3×3, stride 1, dilation 1 (Lavin & Gray 2016).
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A        per 6×6 input tile d → 4×4 output tile
 *
 * 36 multiplies per output tile and channel pair instead of 144: the elementwise products over
 * channels become 36 independent GEMMs U[ξ][O, C] · V[ξ][C, tiles] (run by the blocked `gemm`).
 * Every transform runs in float64 (JavaScript's arithmetic) on float32 data, so the usual Winograd
 * precision loss stays far below the float32 rounding of the result.
 */
import { gemm } from './gemm.js';

/** Output tiles per GEMM (the N of each of the 36 products). */
const TILE_CHUNK = 128;

let vScratch = new Float64Array(0);
let mScratch = new Float64Array(0);
let uScratch = new Float64Array(0);
const dTile = new Float64Array(36);
const gTile = new Float64Array(9);
const tTile = new Float64Array(36);

/**
 * Weight transform: U[ξ][o][c] = (G g_{o,c} Gᵀ)[ξ] for a 3×3 filter g_{o,c}.
 * forward:  g_{o,c}[a][b] = w[o, c, a, b]             (w: [O, Cg, 3, 3]; result rows O, cols Cg)
 * backprop: g_{c,o}[a][b] = w[grp·Og + o, c, 2−a, 2−b] (the transposed, flipped filter that maps dy to dx;
 *           result rows = C (all input channels), cols = Og)
 * The result lives in a module-level scratch buffer (reused by the next call; it only grows).
 */
export function winogradWeights(
  w: Float32Array, outChannels: number, cg: number, groups: number, transposeFlip: boolean,
): Float64Array {
  const og = outChannels / groups;
  const rows = transposeFlip ? cg * groups : outChannels;
  const cols = transposeFlip ? og : cg;
  if (uScratch.length < 36 * rows * cols) uScratch = new Float64Array(36 * rows * cols);
  const u = uScratch;
  const plane = rows * cols;
  const g = gTile;
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) {
      if (!transposeFlip) {
        const base = (r * cg + q) * 9;
        for (let k = 0; k < 9; k++) g[k] = w[base + k];
      } else {
        const grp = Math.floor(r / cg), c = r - grp * cg;
        const base = ((grp * og + q) * cg + c) * 9;
        for (let k = 0; k < 9; k++) g[k] = w[base + 8 - k];
      }
      // t = G g (6×3)
      for (let b = 0; b < 3; b++) {
        const g0 = g[b], g1 = g[3 + b], g2 = g[6 + b];
        tTile[b] = g0 / 4;
        tTile[3 + b] = -(g0 + g1 + g2) / 6;
        tTile[6 + b] = -(g0 - g1 + g2) / 6;
        tTile[9 + b] = g0 / 24 + g1 / 12 + g2 / 6;
        tTile[12 + b] = g0 / 24 - g1 / 12 + g2 / 6;
        tTile[15 + b] = g2;
      }
      // U = t Gᵀ (6×6)
      const o = r * cols + q;
      for (let a = 0; a < 6; a++) {
        const g0 = tTile[a * 3], g1 = tTile[a * 3 + 1], g2 = tTile[a * 3 + 2];
        const row = a * 6 * plane + o;
        u[row] = g0 / 4;
        u[row + plane] = -(g0 + g1 + g2) / 6;
        u[row + 2 * plane] = -(g0 - g1 + g2) / 6;
        u[row + 3 * plane] = g0 / 24 + g1 / 12 + g2 / 6;
        u[row + 4 * plane] = g0 / 24 - g1 / 12 + g2 / 6;
        u[row + 5 * plane] = g2;
      }
    }
  }
  return u;
}

/**
 * y[n, o, oy, ox] = Σ_{c ∈ group(o)} Σ_{a,b<3} x[n, c, oy − padTop + a, ox − padLeft + b] · g_{o,c}[a][b] (+ bias[o]),
 * zero outside x; any padding (also negative), groups with Cg = C / groups, Og = O / groups.
 * u comes from `winogradWeights` with rows = O and cols = Cg.
 */
export function winogradConv3x3(
  x: Float32Array, batch: number, inChannels: number, H: number, W: number,
  u: Float64Array, outChannels: number, groups: number,
  OH: number, OW: number, padTop: number, padLeft: number,
  bias: Float32Array | null, y: Float32Array,
): void {
  const cg = inChannels / groups, og = outChannels / groups;
  const tilesH = Math.ceil(OH / 4), tilesW = Math.ceil(OW / 4);
  const tilesPerImage = tilesH * tilesW;
  const totalTiles = batch * tilesPerImage;
  const uPlane = outChannels * cg;
  const HW = H * W, OHW = OH * OW;
  const d = dTile;
  for (let t0 = 0; t0 < totalTiles; t0 += TILE_CHUNK) {
    const tc = Math.min(TILE_CHUNK, totalTiles - t0);
    if (vScratch.length < 36 * cg * tc) vScratch = new Float64Array(36 * cg * TILE_CHUNK);
    if (mScratch.length < 36 * og * tc) mScratch = new Float64Array(36 * og * TILE_CHUNK);
    const v = vScratch, m = mScratch;
    const vPlane = cg * tc, mPlane = og * tc;
    for (let grp = 0; grp < groups; grp++) {
      // input transform V[ξ][c][t] = (Bᵀ d B)[ξ]
      for (let ti = 0; ti < tc; ti++) {
        const tileIdx = t0 + ti;
        const n = Math.floor(tileIdx / tilesPerImage);
        const rem = tileIdx - n * tilesPerImage;
        const ty = Math.floor(rem / tilesW), tx = rem - ty * tilesW;
        const iy0 = ty * 4 - padTop, ix0 = tx * 4 - padLeft;
        const inside = iy0 >= 0 && iy0 + 6 <= H && ix0 >= 0 && ix0 + 6 <= W;
        for (let c = 0; c < cg; c++) {
          const xc = (n * inChannels + grp * cg + c) * HW;
          if (inside) {
            let s = xc + iy0 * W + ix0;
            for (let a = 0; a < 36; a += 6, s += W) {
              d[a] = x[s]; d[a + 1] = x[s + 1]; d[a + 2] = x[s + 2];
              d[a + 3] = x[s + 3]; d[a + 4] = x[s + 4]; d[a + 5] = x[s + 5];
            }
          } else {
            for (let a = 0; a < 6; a++) {
              const iy = iy0 + a;
              if (iy < 0 || iy >= H) {
                for (let b = 0; b < 6; b++) d[a * 6 + b] = 0;
                continue;
              }
              const s = xc + iy * W;
              for (let b = 0; b < 6; b++) {
                const ix = ix0 + b;
                d[a * 6 + b] = ix >= 0 && ix < W ? x[s + ix] : 0;
              }
            }
          }
          // rows: t = Bᵀ d
          for (let b = 0; b < 6; b++) {
            const d0 = d[b], d1 = d[6 + b], d2 = d[12 + b], d3 = d[18 + b], d4 = d[24 + b], d5 = d[30 + b];
            tTile[b] = 4 * d0 - 5 * d2 + d4;
            tTile[6 + b] = -4 * (d1 + d2) + d3 + d4;
            tTile[12 + b] = 4 * (d1 - d2) - d3 + d4;
            tTile[18 + b] = 2 * (d3 - d1) - d2 + d4;
            tTile[24 + b] = 2 * (d1 - d3) - d2 + d4;
            tTile[30 + b] = 4 * d1 - 5 * d3 + d5;
          }
          // cols: V = t B
          let vi = c * tc + ti;
          for (let a = 0; a < 36; a += 6) {
            const d0 = tTile[a], d1 = tTile[a + 1], d2 = tTile[a + 2], d3 = tTile[a + 3], d4 = tTile[a + 4], d5 = tTile[a + 5];
            v[vi] = 4 * d0 - 5 * d2 + d4; vi += vPlane;
            v[vi] = -4 * (d1 + d2) + d3 + d4; vi += vPlane;
            v[vi] = 4 * (d1 - d2) - d3 + d4; vi += vPlane;
            v[vi] = 2 * (d3 - d1) - d2 + d4; vi += vPlane;
            v[vi] = 2 * (d1 - d3) - d2 + d4; vi += vPlane;
            v[vi] = 4 * d1 - 5 * d3 + d5; vi += vPlane;
          }
        }
      }
      // 36 products M[ξ][o][t] = U[ξ][o][c] · V[ξ][c][t]
      for (let xi = 0; xi < 36; xi++) {
        gemm(og, tc, cg, u, xi * uPlane + grp * og * cg, cg, 1, v, xi * vPlane, tc, 1, m, xi * mPlane, tc, false);
      }
      // output transform Y = Aᵀ M A
      for (let o = 0; o < og; o++) {
        const oc = grp * og + o;
        const bo = bias !== null ? bias[oc] : 0;
        for (let ti = 0; ti < tc; ti++) {
          let mi = o * tc + ti;
          // rows: t = Aᵀ m (4×6)
          for (let b = 0; b < 6; b++) {
            const m0 = m[mi], m1 = m[mi + 6 * mPlane], m2 = m[mi + 12 * mPlane];
            const m3 = m[mi + 18 * mPlane], m4 = m[mi + 24 * mPlane], m5 = m[mi + 30 * mPlane];
            mi += mPlane;
            const s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
            tTile[b] = m0 + s12 + s34;
            tTile[6 + b] = d12 + 2 * d34;
            tTile[12 + b] = s12 + 4 * s34;
            tTile[18 + b] = d12 + 8 * d34 + m5;
          }
          const tileIdx = t0 + ti;
          const n = Math.floor(tileIdx / tilesPerImage);
          const rem = tileIdx - n * tilesPerImage;
          const ty = Math.floor(rem / tilesW), tx = rem - ty * tilesW;
          const oy0 = ty * 4, ox0 = tx * 4;
          const rows = Math.min(4, OH - oy0), cols = Math.min(4, OW - ox0);
          const yBase = (n * outChannels + oc) * OHW + oy0 * OW + ox0;
          for (let a = 0; a < rows; a++) {
            const r = a * 6;
            const m0 = tTile[r], m1 = tTile[r + 1], m2 = tTile[r + 2], m3 = tTile[r + 3], m4 = tTile[r + 4], m5 = tTile[r + 5];
            const s12 = m1 + m2, d12 = m1 - m2, s34 = m3 + m4, d34 = m3 - m4;
            const yr = yBase + a * OW;
            if (cols === 4) {
              y[yr] = m0 + s12 + s34 + bo;
              y[yr + 1] = d12 + 2 * d34 + bo;
              y[yr + 2] = s12 + 4 * s34 + bo;
              y[yr + 3] = d12 + 8 * d34 + m5 + bo;
            } else {
              y[yr] = m0 + s12 + s34 + bo;
              if (cols > 1) y[yr + 1] = d12 + 2 * d34 + bo;
              if (cols > 2) y[yr + 2] = s12 + 4 * s34 + bo;
            }
          }
        }
      }
    }
  }
}

/** Whether Winograd F(4×4, 3×3) pays off for this layer (enough channels, not too much tile waste). */
export function winogradWorthIt(cg: number, og: number, OH: number, OW: number): boolean {
  if (cg < 8 || og < 8) return false;
  const useful = OH * OW;
  const computed = Math.ceil(OH / 4) * Math.ceil(OW / 4) * 16;
  return useful * 2 >= computed; // at least half of the computed outputs are real
}
