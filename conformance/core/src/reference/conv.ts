/**
 * Convolution from the definition (DESIGN §3), float64, plain loops.
 *
 *   correlation:  y[n,o,i,j] = b[o] + Σ_c Σ_p Σ_q x[n, c, i·sh − pt + p·dh, j·sw − pl + q·dw] · w[o, c, p, q]
 *   convolution:  the same with w[o, c, kh−1−p, kw−1−q] (kernel flipped in every spatial axis)
 *
 * with c running over the input channels of o's group. Positions outside the input are zero.
 */
import { type F64, f64, numel, pair } from './array.js';

export type Padding2d = number | readonly [number, number] | readonly [number, number, number, number] | 'valid' | 'same';
export type Padding1d = number | readonly [number] | readonly [number, number] | 'valid' | 'same';

export interface ConvOpts {
  stride?: number | readonly number[];
  padding?: Padding2d;
  dilation?: number | readonly number[];
  groups?: number;
  mode?: 'correlation' | 'convolution';
}

export interface Conv1dOpts {
  stride?: number;
  padding?: Padding1d;
  dilation?: number;
  groups?: number;
  mode?: 'correlation' | 'convolution';
}

/** DESIGN §3: floor((x + pb + pa − d(f−1) − 1)/s) + 1. */
export function refOutSize(x: number, f: number, s: number, padBefore: number, padAfter: number, d = 1): number {
  return Math.floor((x + padBefore + padAfter - d * (f - 1) - 1) / s) + 1;
}

/** 'same': output ceil(x/s), total pad max((out−1)s + d(f−1) + 1 − x, 0), odd pixel after. */
export function refSamePad(x: number, f: number, s: number, d = 1): [number, number] {
  const out = Math.ceil(x / s);
  const total = Math.max((out - 1) * s + d * (f - 1) + 1 - x, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Padding of a 2-d conv as [top, bottom, left, right]. */
export function refPads2d(padding: Padding2d | undefined, inHW: [number, number], k: [number, number], s: [number, number], d: [number, number]): [number, number, number, number] {
  if (padding === undefined || padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const [t, b] = refSamePad(inHW[0], k[0], s[0], d[0]);
    const [l, r] = refSamePad(inHW[1], k[1], s[1], d[1]);
    return [t, b, l, r];
  }
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  if (padding.length === 2) return [padding[0], padding[0], padding[1], padding[1]];
  return [padding[0], padding[1], padding[2], padding[3]];
}

export function conv2d(x: F64, w: F64, b: F64 | undefined, opts: ConvOpts = {}): F64 {
  const [N, C, H, W] = x.shape;
  const [O, Cg, KH, KW] = w.shape;
  const g = opts.groups ?? 1;
  const [sh, sw] = pair(opts.stride, 1);
  const [dh, dw] = pair(opts.dilation, 1);
  if (C % g !== 0 || O % g !== 0 || Cg !== C / g) throw new Error('reference conv2d: bad groups');
  const [pt, pb, pl, pr] = refPads2d(opts.padding, [H, W], [KH, KW], [sh, sw], [dh, dw]);
  const OH = refOutSize(H, KH, sh, pt, pb, dh);
  const OW = refOutSize(W, KW, sw, pl, pr, dw);
  if (OH < 1 || OW < 1) throw new Error('reference conv2d: output < 1');
  const flip = opts.mode === 'convolution';
  const y = f64([N, O, OH, OW]);
  const Og = O / g;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const grp = Math.floor(o / Og);
      for (let i = 0; i < OH; i++)
        for (let j = 0; j < OW; j++) {
          let acc = b ? b.data[o] : 0;
          for (let cg = 0; cg < Cg; cg++) {
            const c = grp * Cg + cg;
            for (let p = 0; p < KH; p++) {
              const hi = i * sh - pt + p * dh;
              if (hi < 0 || hi >= H) continue;
              for (let q = 0; q < KW; q++) {
                const wi = j * sw - pl + q * dw;
                if (wi < 0 || wi >= W) continue;
                const kp = flip ? KH - 1 - p : p;
                const kq = flip ? KW - 1 - q : q;
                acc += x.data[((n * C + c) * H + hi) * W + wi] * w.data[((o * Cg + cg) * KH + kp) * KW + kq];
              }
            }
          }
          y.data[((n * O + o) * OH + i) * OW + j] = acc;
        }
    }
  return y;
}

function pads1dTo2d(padding: Padding1d | undefined): Padding2d {
  if (padding === undefined || padding === 'valid') return 0;
  if (padding === 'same') return 'same';
  if (typeof padding === 'number') return [0, 0, padding, padding];
  if (padding.length === 1) return [0, 0, padding[0], padding[0]];
  return [0, 0, padding[0], padding[1]];
}

/** conv1d on x[N, C, L], w[O, C/g, K]: the 2-d definition with a unit height axis. */
export function conv1d(x: F64, w: F64, b: F64 | undefined, opts: Conv1dOpts = {}): F64 {
  const [N, C, L] = x.shape;
  const [O, Cg, K] = w.shape;
  const y = conv2d({ shape: [N, C, 1, L], data: x.data }, { shape: [O, Cg, 1, K], data: w.data }, b, {
    stride: [1, opts.stride ?? 1],
    dilation: [1, opts.dilation ?? 1],
    groups: opts.groups,
    mode: opts.mode,
    padding: pads1dTo2d(opts.padding),
  });
  return { shape: [N, O, y.shape[3]], data: y.data };
}

/**
 * Dense (Toeplitz) matrix M of a single-sample conv: y.flat = M · x.flat + b, with x of shape
 * [C, H, W] (inputShape; a leading N is ignored), M of shape [O·OH·OW, C·H·W]. Built by definition:
 * column k of M is the conv of the k-th unit vector (no bias).
 */
export function convToMatrix(w: F64, inputShape: readonly number[], opts: ConvOpts = {}): F64 {
  const [C, H, W] = inputShape.slice(-3);
  const inSize = C * H * W;
  const cols: Float64Array[] = [];
  for (let k = 0; k < inSize; k++) {
    const e = f64([1, C, H, W]);
    e.data[k] = 1;
    cols.push(conv2d(e, w, undefined, opts).data);
  }
  const rows = cols[0].length;
  const m = f64([rows, inSize]);
  for (let k = 0; k < inSize; k++) for (let r = 0; r < rows; r++) m.data[r * inSize + k] = cols[k][r];
  return m;
}

/** Conv followed by inference batch norm, folded: W' = γW/σ, b' = γ(b − μ)/σ + β, σ = sqrt(var + eps). */
export function fuseConvBatchNorm(w: F64, b: F64 | undefined, mean: F64, variance: F64, gamma: F64 | undefined, beta: F64 | undefined, eps = 1e-5): { w: F64; b: F64 } {
  const O = w.shape[0];
  const per = numel(w.shape) / O;
  const w2 = f64(w.shape);
  const b2 = f64([O]);
  for (let o = 0; o < O; o++) {
    const sigma = Math.sqrt(variance.data[o] + eps);
    const ga = gamma ? gamma.data[o] : 1;
    const be = beta ? beta.data[o] : 0;
    for (let k = 0; k < per; k++) w2.data[o * per + k] = (ga * w.data[o * per + k]) / sigma;
    b2.data[o] = (ga * ((b ? b.data[o] : 0) - mean.data[o])) / sigma + be;
  }
  return { w: w2, b: b2 };
}
