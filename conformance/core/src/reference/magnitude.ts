/**
 * The tolerance magnitude m of DESIGN §3 (atol = 1e-5·m, rtol = 1e-4): for ops that sum terms
 * (conv, linear, pools), the same op evaluated on |inputs|, so m bounds the sum of |terms| that
 * float32 rounding acts on. Ops with non-linear terms carry their own `magnitude` output (norms,
 * softmax, …; see norm.ts and dense.ts).
 */
import { type F64, absOf } from './array.js';

export function magnitude<A extends unknown[]>(op: (...args: A) => F64, ...args: A): F64 {
  const absArgs = args.map((a) => (a && typeof a === 'object' && 'data' in a && (a as F64).data instanceof Float64Array ? absOf(a as F64) : a)) as A;
  return op(...absArgs);
}
