/** Activations, dense layer and classification heads from the definitions, float64. */
import { type F64, absOf, f64, numel } from './array.js';
import type { WithMagnitude } from './norm.js';

export function relu(x: F64): WithMagnitude {
  const y = f64(x.shape, x.data.map((v) => Math.max(v, 0)));
  return { ...y, magnitude: absOf(x) };
}

/** TLU: max(x, τ[c]) on [N, C, ...]. */
export function tlu(x: F64, tau: F64): WithMagnitude {
  const [N, C] = x.shape;
  const S = numel(x.shape) / (N * C);
  const y = f64(x.shape);
  const m = f64(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const c = Math.floor(i / S) % C;
    y.data[i] = Math.max(x.data[i], tau.data[c]);
    m.data[i] = Math.max(Math.abs(x.data[i]), Math.abs(tau.data[c]));
  }
  return { ...y, magnitude: m };
}

/** y[N, out] = x[N, in] · wᵀ + b. */
export function linear(x: F64, w: F64, b?: F64): F64 {
  // x [..., in]: every leading axis is a batch axis (PyTorch F.linear)
  const IN = x.shape[x.shape.length - 1];
  const N = numel(x.shape.slice(0, -1));
  const OUT = w.shape[0];
  const y = f64([...x.shape.slice(0, -1), OUT]);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < OUT; o++) {
      let acc = b ? b.data[o] : 0;
      for (let k = 0; k < IN; k++) acc += x.data[n * IN + k] * w.data[o * IN + k];
      y.data[n * OUT + o] = acc;
    }
  return y;
}

/** Iterates the lines along `dim`: calls fn(offsets) with the flat indices of each line. */
function lines(shape: readonly number[], dim: number, fn: (idx: number[]) => void): void {
  // a rank-0 tensor is one line of one element (PyTorch: softmax of a 0-d tensor is 1)
  if (shape.length === 0) return fn([0]);
  const d = dim < 0 ? dim + shape.length : dim;
  const K = shape[d];
  const inner = numel(shape.slice(d + 1));
  const outer = numel(shape.slice(0, d));
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const idx: number[] = [];
      for (let k = 0; k < K; k++) idx.push((o * K + k) * inner + i);
      fn(idx);
    }
}

/** The line's maximum and Σ exp(x − max) (the stable form of the softmax denominator). */
function maxAndSumExp(x: F64, idx: number[]): [number, number] {
  const mx = Math.max(...idx.map((i) => x.data[i]));
  let s = 0;
  for (const i of idx) s += Math.exp(x.data[i] - mx);
  return [mx, s];
}

/** softmax along dim; magnitude: the largest probability of the line (outputs are in [0, 1]). */
export function softmax(x: F64, dim = -1): WithMagnitude {
  const y = f64(x.shape);
  const m = f64(x.shape);
  lines(x.shape, dim, (idx) => {
    const [mx, s] = maxAndSumExp(x, idx);
    let top = 0;
    for (const i of idx) {
      y.data[i] = Math.exp(x.data[i] - mx) / s;
      top = Math.max(top, y.data[i]);
    }
    for (const i of idx) m.data[i] = top;
  });
  return { ...y, magnitude: m };
}

/** log softmax along dim: x − max − log Σ exp(x − max); magnitude |x| + |max| + |log Σ|. */
export function logSoftmax(x: F64, dim = -1): WithMagnitude {
  const y = f64(x.shape);
  const m = f64(x.shape);
  lines(x.shape, dim, (idx) => {
    const [mx, s] = maxAndSumExp(x, idx);
    const lse = Math.log(s);
    for (const i of idx) {
      y.data[i] = x.data[i] - mx - lse;
      m.data[i] = Math.abs(x.data[i]) + Math.abs(mx) + Math.abs(lse);
    }
  });
  return { ...y, magnitude: m };
}

/** Mean over N of −log softmax(logits[n])[label[n]]; shape []. */
export function crossEntropy(logits: F64, labels: ArrayLike<number>): WithMagnitude {
  const [N, K] = logits.shape;
  const ls = logSoftmax(logits, 1);
  let s = 0;
  let m = 0;
  for (let n = 0; n < N; n++) {
    s -= ls.data[n * K + labels[n]];
    m += ls.magnitude.data[n * K + labels[n]];
  }
  return { ...f64([], [s / N]), magnitude: f64([], [m / N]) };
}

/** flatten(x, startDim, endDim): the same values, axes startDim..endDim merged. */
export function flatten(x: F64, startDim = 1, endDim = -1): F64 {
  const r = x.shape.length;
  const s = startDim < 0 ? startDim + r : startDim;
  const e = endDim < 0 ? endDim + r : endDim;
  const shape = [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return f64(shape, x.data);
}
