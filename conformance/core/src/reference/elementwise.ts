/**
 * Elementwise arithmetic with NumPy broadcasting and reductions, float64, from the definitions:
 * shapes are right-aligned; an axis of size 1 (or a missing leading axis) repeats along the other
 * operand's axis. Each result carries its tolerance magnitude (the sum of |terms|).
 */
import { type F64, f64, numel } from './array.js';
import type { WithMagnitude } from './norm.js';

/** The broadcast shape of a and b (NumPy rule), or an error. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference broadcast: [${a}] vs [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Flat index into x (of shape `shape`, right-aligned) of the output multi-index `idx`. */
function sourceIndex(shape: readonly number[], idx: readonly number[]): number {
  const off = idx.length - shape.length;
  let k = 0;
  for (let i = 0; i < shape.length; i++) k = k * shape[i] + (shape[i] === 1 ? 0 : idx[off + i]);
  return k;
}

function binary(a: F64, b: F64, fn: (x: number, y: number) => number, mag: (x: number, y: number) => number): WithMagnitude {
  const shape = broadcastShape(a.shape, b.shape);
  const y = f64(shape);
  const m = f64(shape);
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < y.data.length; i++) {
    let rem = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rem % shape[d];
      rem = Math.floor(rem / shape[d]);
    }
    const va = a.data[sourceIndex(a.shape, idx)];
    const vb = b.data[sourceIndex(b.shape, idx)];
    y.data[i] = fn(va, vb);
    m.data[i] = mag(va, vb);
  }
  return { ...y, magnitude: m };
}

export const addBroadcast = (a: F64, b: F64): WithMagnitude => binary(a, b, (x, y) => x + y, (x, y) => Math.abs(x) + Math.abs(y));
export const mulBroadcast = (a: F64, b: F64): WithMagnitude => binary(a, b, (x, y) => x * y, (x, y) => Math.abs(x * y));
export const subBroadcast = (a: F64, b: F64): WithMagnitude => binary(a, b, (x, y) => x - y, (x, y) => Math.abs(x) + Math.abs(y));
export const divBroadcast = (a: F64, b: F64): WithMagnitude => binary(a, b, (x, y) => x / y, (x, y) => Math.abs(x / y));
// exact in float32: the magnitude is the result itself
export const maximumBroadcast = (a: F64, b: F64): WithMagnitude => binary(a, b, (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y)), (x, y) => Math.abs(Math.max(x, y)));
export const minimumBroadcast = (a: F64, b: F64): WithMagnitude => binary(a, b, (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y)), (x, y) => Math.abs(Math.min(x, y)));

/** Sum (or mean) over `axis` (all by default), keepDims as NumPy; magnitude Σ|x| (÷ count for mean). */
export function reduceSum(x: F64, axis?: number | readonly number[], keepDims = false, average = false): WithMagnitude {
  const r = x.shape.length;
  const axes = axis === undefined ? x.shape.map((_, i) => i) : (typeof axis === 'number' ? [axis] : [...axis]).map((a) => (a < 0 ? a + r : a));
  const kept = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
  const y = f64(kept);
  const m = f64(kept);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  const idx = new Array(r).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    let rem = i;
    for (let d = r - 1; d >= 0; d--) {
      idx[d] = rem % x.shape[d];
      rem = Math.floor(rem / x.shape[d]);
    }
    let k = 0;
    for (let d = 0; d < r; d++) k = k * kept[d] + (axes.includes(d) ? 0 : idx[d]);
    y.data[k] += x.data[i];
    m.data[k] += Math.abs(x.data[i]);
  }
  if (average) for (let k = 0; k < y.data.length; k++) {
    y.data[k] /= count;
    m.data[k] /= count;
  }
  const shape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
  if (numel(shape) !== y.data.length) throw new Error('reference reduce: bad shape');
  return { shape, data: y.data, magnitude: { shape, data: m.data } };
}
