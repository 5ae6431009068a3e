/**
 * Float64 definitions of the ops PyTorch users reach for first (issue 9): sigmoid, tanh, permute,
 * concat, argmax, and one Adam/AdamW step sequence (torch.optim's documented algorithm).
 */
import { type F64, f64, numel } from './array.js';
import type { WithMagnitude } from './norm.js';

export function sigmoid(x: F64): WithMagnitude {
  const y = f64(x.shape, Array.from(x.data, (v) => 1 / (1 + Math.exp(-v))));
  return { ...y, magnitude: f64(x.shape, Array.from(y.data, Math.abs)) };
}

export function tanh(x: F64): WithMagnitude {
  const y = f64(x.shape, Array.from(x.data, Math.tanh));
  return { ...y, magnitude: f64(x.shape, Array.from(y.data, Math.abs)) };
}

/** y[i0, …] = x[i_perm⁻¹…]: y.shape[k] = x.shape[perm[k]]. */
export function permute(x: F64, perm: readonly number[]): F64 {
  const shape = perm.map((p) => x.shape[p]);
  const y = f64(shape);
  const strides = x.shape.map((_, k) => numel(x.shape.slice(k + 1)));
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < y.data.length; o++) {
    let at = 0;
    for (let k = 0; k < shape.length; k++) at += idx[k] * strides[perm[k]];
    y.data[o] = x.data[at];
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return y;
}

export function concat(xs: readonly F64[], axis: number): F64 {
  const a = xs[0];
  const ax = axis < 0 ? axis + a.shape.length : axis;
  const outer = numel(a.shape.slice(0, ax));
  const inner = numel(a.shape.slice(ax + 1));
  const total = xs.reduce((s, x) => s + x.shape[ax], 0);
  const y = f64(a.shape.map((s, k) => (k === ax ? total : s)));
  let o = 0;
  for (let i = 0; i < outer; i++) for (const x of xs) for (let j = 0; j < x.shape[ax] * inner; j++) y.data[o++] = x.data[i * x.shape[ax] * inner + j];
  return y;
}

/** First index of the maximum along `dim` (NaN counts as the largest, as torch.argmax). */
export function argmax(x: F64, dim?: number): F64 {
  // without dim: over the flattened tensor, a scalar index (torch.argmax(x))
  if (dim === undefined) return { shape: [], data: argmax({ shape: [x.data.length], data: x.data }, 0).data };
  const d = dim < 0 ? dim + x.shape.length : dim;
  const K = x.shape[d];
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const y = f64(x.shape.filter((_, k) => k !== d));
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) {
        const v = x.data[(o * K + k) * inner + i];
        const b = x.data[(o * K + best) * inner + i];
        if (!Number.isNaN(b) && (v > b || Number.isNaN(v))) best = k;
      }
      y.data[o * inner + i] = best;
    }
  return y;
}

export interface AdamOpts {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  decoupled?: boolean;
}

/** Parameters after one Adam/AdamW step per gradient in `grads`, from zero moments (PyTorch, amsgrad off). */
export function adamSteps(param: F64, grads: readonly F64[], o: AdamOpts): F64 {
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? (o.decoupled ? 1e-2 : 0);
  const p = Float64Array.from(param.data);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, t0) => {
    const t = t0 + 1;
    for (let i = 0; i < p.length; i++) {
      if (o.decoupled) p[i] *= 1 - o.lr * wd;
      const gi = o.decoupled ? g.data[i] : g.data[i] + wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      p[i] -= (o.lr / (1 - b1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps));
    }
  });
  return { shape: [...param.shape], data: p };
}
