/**
 * Pooling from the definition (DESIGN §3, PyTorch semantics), float64.
 * Window (i, j) covers rows i·sh − ph + p·dh, p < kh (likewise columns).
 * - max ignores padding (−∞);
 * - ceilMode: out = ceil(span/s) + 1, minus one if the last window would start inside the end padding;
 * - avg divisor: countIncludePad → the window clipped to the padded extent [−p, x + p), else the number
 *   of real input elements in the window.
 */
import { type F64, f64, pair } from './array.js';

export interface PoolOpts {
  kernelSize: number | readonly number[];
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

export function refPoolOutSize(x: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  const span = x + 2 * p - d * (k - 1) - 1;
  if (!ceilMode) return Math.floor(span / s) + 1;
  let out = Math.ceil(span / s) + 1;
  if ((out - 1) * s >= x + p) out -= 1;
  return out;
}

function geometry(x: F64, opts: PoolOpts) {
  const [N, C, H, W] = x.shape;
  const [kh, kw] = pair(opts.kernelSize, 1);
  const [sh, sw] = opts.stride === undefined ? [kh, kw] : pair(opts.stride, 1);
  const [ph, pw] = pair(opts.padding, 0);
  const [dh, dw] = pair(opts.dilation, 1);
  const ceil = opts.ceilMode ?? false;
  const OH = refPoolOutSize(H, kh, sh, ph, dh, ceil);
  const OW = refPoolOutSize(W, kw, sw, pw, dw, ceil);
  return { N, C, H, W, kh, kw, sh, sw, ph, pw, dh, dw, OH, OW };
}

export function maxPool2d(x: F64, opts: PoolOpts): F64 {
  const g = geometry(x, opts);
  const y = f64([g.N, g.C, g.OH, g.OW]);
  for (let nc = 0; nc < g.N * g.C; nc++)
    for (let i = 0; i < g.OH; i++)
      for (let j = 0; j < g.OW; j++) {
        let m = -Infinity;
        for (let p = 0; p < g.kh; p++) {
          const hi = i * g.sh - g.ph + p * g.dh;
          if (hi < 0 || hi >= g.H) continue;
          for (let q = 0; q < g.kw; q++) {
            const wi = j * g.sw - g.pw + q * g.dw;
            if (wi < 0 || wi >= g.W) continue;
            m = Math.max(m, x.data[(nc * g.H + hi) * g.W + wi]);
          }
        }
        y.data[(nc * g.OH + i) * g.OW + j] = m;
      }
  return y;
}

/** Average pooling (no dilation, as in PyTorch). */
export function avgPool2d(x: F64, opts: PoolOpts): F64 {
  const g = geometry(x, { ...opts, dilation: 1 });
  const include = opts.countIncludePad ?? true;
  const y = f64([g.N, g.C, g.OH, g.OW]);
  for (let nc = 0; nc < g.N * g.C; nc++)
    for (let i = 0; i < g.OH; i++)
      for (let j = 0; j < g.OW; j++) {
        let h0 = i * g.sh - g.ph;
        let w0 = j * g.sw - g.pw;
        let h1 = Math.min(h0 + g.kh, g.H + g.ph);
        let w1 = Math.min(w0 + g.kw, g.W + g.pw);
        const padded = (h1 - h0) * (w1 - w0);
        h0 = Math.max(h0, 0);
        w0 = Math.max(w0, 0);
        h1 = Math.min(h1, g.H);
        w1 = Math.min(w1, g.W);
        let s = 0;
        for (let hi = h0; hi < h1; hi++) for (let wi = w0; wi < w1; wi++) s += x.data[(nc * g.H + hi) * g.W + wi];
        const divisor = include ? padded : (h1 - h0) * (w1 - w0);
        y.data[(nc * g.OH + i) * g.OW + j] = s / divisor;
      }
  return y;
}

export interface Pool1dOpts {
  kernelSize: number;
  stride?: number;
  padding?: number;
  dilation?: number;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

function as2d(x: F64): F64 {
  return { shape: [x.shape[0], x.shape[1], 1, x.shape[2]], data: x.data };
}
function opts2d(o: Pool1dOpts): PoolOpts {
  return {
    kernelSize: [1, o.kernelSize],
    stride: [1, o.stride ?? o.kernelSize],
    padding: [0, o.padding ?? 0],
    dilation: [1, o.dilation ?? 1],
    ceilMode: o.ceilMode,
    countIncludePad: o.countIncludePad,
  };
}
function as1d(y: F64): F64 {
  return { shape: [y.shape[0], y.shape[1], y.shape[3]], data: y.data };
}

export function maxPool1d(x: F64, opts: Pool1dOpts): F64 {
  return as1d(maxPool2d(as2d(x), opts2d(opts)));
}
export function avgPool1d(x: F64, opts: Pool1dOpts): F64 {
  return as1d(avgPool2d(as2d(x), opts2d(opts)));
}

/** Mean over every axis after the channel axis; [N, C, ...] → [N, C, 1, 1]. */
export function globalAvgPool2d(x: F64): F64 {
  const [N, C] = x.shape;
  const S = x.data.length / (N * C);
  const y = f64([N, C, 1, 1]);
  for (let nc = 0; nc < N * C; nc++) {
    let s = 0;
    for (let k = 0; k < S; k++) s += x.data[nc * S + k];
    y.data[nc] = s / S;
  }
  return y;
}
