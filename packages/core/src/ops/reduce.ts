import { record } from '../autograd.js';
import { runKernel } from '../engine.js';
import { fail } from '../errors.js';
import { normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkTensor } from '../validate.js';
import { mul, sumToShape } from './elementwise.js';
import { reshape } from './reshape.js';

function resolveAxes(op: string, x: Tensor, axis: number | number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  const axes = [...new Set(list.map((a, i) => normalizeAxis(op, Array.isArray(axis) ? `axis[${i}]` : 'axis', a, x.rank)))].sort((a, b) => a - b);
  if (axes.length !== list.length) fail(op, 'axis', 'distinct axes', axis);
  return axes;
}

/** NumPy broadcast of x to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('broadcastTo', 'x', x);
  const [y] = runKernel('broadcastTo', { x }, { shape: [...shape] }) as [Tensor];
  record('broadcastTo', y, [x], [], (dy) => [sumToShape(dy, x.shape)]);
  return y;
}

/** Sum over `axis` (all axes by default). */
export function sum(x: Tensor, axis?: number | number[], keepDims = false): Tensor {
  checkTensor('sum', 'x', x);
  const axes = resolveAxes('sum', x, axis);
  const keptShape = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
  const [kept] = runKernel('sum', { x }, { axes, outShape: keptShape }) as [Tensor];
  record('sum', kept, [x], [], (dy) => [broadcastTo(dy, x.shape)]);
  const result = keepDims ? kept : reshape(kept, x.shape.filter((_, i) => !axes.includes(i)));
  if (!keepDims) kept.dispose();
  return result;
}

/** Mean over `axis` (all axes by default). */
export function mean(x: Tensor, axis?: number | number[], keepDims = false): Tensor {
  checkTensor('mean', 'x', x);
  const axes = resolveAxes('mean', x, axis);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const s = sum(x, axes, keepDims);
  const m = mul(s, 1 / count);
  s.dispose();
  return m;
}
