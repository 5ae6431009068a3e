import { record } from '../autograd.js';
import { runKernel } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { publicOp } from '../guard.js';
import { normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkBoolean, checkShapeArgument, checkTensor, shapeText } from '../validate.js';
import { mul, sumToShape } from './elementwise.js';
import { reshape } from './reshape.js';

function resolveAxes(op: string, x: Tensor, axis: number | number[] | undefined): number[] {
  if (axis === undefined || axis === null) return x.shape.map((_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  const axes = [...new Set(Array.from(list, (a, i) => normalizeAxis(op, Array.isArray(axis) ? `axis[${i}]` : 'axis', a, x.rank)))].sort((a, b) => a - b);
  if (axes.length !== list.length) fail(op, 'axis', 'distinct axes', axis);
  return axes;
}

/**
 * NumPy broadcast of x to `shape`: x's axes align with the trailing axes of `shape`, and each must
 * equal the target size or be 1 (anything else would drop or invent data).
 */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const op = 'broadcastTo';
  return publicOp(op, () => {
    checkTensor(op, 'x', x);
    const target = checkShapeArgument(op, shape);
    const offset = target.length - x.rank;
    if (offset < 0 || x.shape.some((s, i) => s !== 1 && s !== target[offset + i])) {
      throw new HypercolumnError(`${op}: shape expected a shape that x ${shapeText(x.shape)} broadcasts to (each axis of x equal or 1, aligned right), got ${shapeText(target)}`, op, 'shape');
    }
    const [y] = runKernel('broadcastTo', { x }, { shape: target }) as [Tensor];
    record(op, y, [x], [], (dy) => [sumToShape(dy, x.shape)]);
    return y;
  });
}

/** Sum over `axis` (all axes by default). */
export function sum(x: Tensor, axis?: number | number[], keepDims = false): Tensor {
  const op = 'sum';
  return publicOp(op, () => {
    checkTensor(op, 'x', x);
    const axes = resolveAxes(op, x, axis);
    checkBoolean(op, 'keepDims', keepDims);
    const keptShape = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
    const [kept] = runKernel('sum', { x }, { axes, outShape: keptShape }) as [Tensor];
    record(op, kept, [x], [], (dy) => [broadcastTo(dy, x.shape)]);
    const result = keepDims ? kept : reshape(kept, x.shape.filter((_, i) => !axes.includes(i)));
    if (!keepDims) kept.dispose();
    return result;
  });
}

/** Mean over `axis` (all axes by default). */
export function mean(x: Tensor, axis?: number | number[], keepDims = false): Tensor {
  const op = 'mean';
  return publicOp(op, () => {
    checkTensor(op, 'x', x);
    const axes = resolveAxes(op, x, axis);
    checkBoolean(op, 'keepDims', keepDims);
    const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
    const s = sum(x, axes, keepDims);
    const m = mul(s, 1 / count);
    s.dispose();
    return m;
  });
}
