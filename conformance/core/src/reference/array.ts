/**
 * The float64 reference's own tiny array type. Nothing here is shared with core or any backend:
 * the reference recomputes every size from the definitions (DESIGN §3).
 */
export interface F64 {
  shape: number[];
  data: Float64Array;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function f64(shape: readonly number[], data?: ArrayLike<number>): F64 {
  const n = numel(shape);
  const out = new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`reference: ${data.length} values for shape [${shape.join(', ')}]`);
    for (let i = 0; i < n; i++) out[i] = data[i];
  }
  return { shape: [...shape], data: out };
}

export function zerosLike(a: F64): F64 {
  return f64(a.shape);
}

export function clone(a: F64): F64 {
  return { shape: [...a.shape], data: Float64Array.from(a.data) };
}

export function absOf(a: F64): F64 {
  return { shape: [...a.shape], data: a.data.map(Math.abs) };
}

export function map(a: F64, fn: (v: number, i: number) => number): F64 {
  return { shape: [...a.shape], data: a.data.map(fn) };
}

/** Pair of numbers from a scalar-or-pair option. */
export function pair(v: number | readonly number[] | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  if (v.length === 1) return [v[0], v[0]];
  return [v[0], v[1]];
}
