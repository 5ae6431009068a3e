import { record, type BackwardFn } from '../autograd.js';
import { runKernel } from '../engine.js';
import { HypercolumnError } from '../errors.js';
import { broadcastAxes, broadcastShapes } from '../shape.js';
import { Tensor } from '../tensor.js';
import { publicOp } from '../guard.js';
import { checkAllocation, checkTensor } from '../validate.js';
import { constantLike } from './creation.js';

const MIN_NORMAL_FLOAT32 = 2 ** -126;

/** A tensor, or a number that becomes a constant on the other operand's backend. */
export type Operand = Tensor | number;
type BinaryKernel = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
type UnaryKernel = 'neg' | 'sqrt' | 'abs' | 'exp' | 'log';

/** Sums a broadcast gradient back to `shape` (the shape of the operand it flows to). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  const axes = broadcastAxes(shape, g.shape);
  if (axes.length === 0) return Tensor.view(g, shape); // always a new tensor: backward() disposes dy after the backward function returns
  const outShape = g.shape.map((s, i) => (axes.includes(i) ? 1 : s));
  const [s] = runKernel('sum', { x: g }, { axes, outShape });
  const result = Tensor.view(s!, shape);
  s!.dispose();
  return result;
}

type ScalarKernel = 'addScalar' | 'mulScalar' | 'rdivScalar' | 'maximumScalar' | 'minimumScalar';

/** `kernel(x; value)` with the scalar as an attribute (no upload), recorded with `backward` if given. */
function scalarOp(op: string, kernel: ScalarKernel, x: Tensor, value: number, backward?: BackwardFn, saveX = false): Tensor {
  const [y] = runKernel(kernel, { x }, { value }) as [Tensor];
  if (backward) record(op, y, [x], saveX ? [x] : [], backward);
  return y;
}

/**
 * A binary op with one number operand, as one *Scalar kernel (two for `number − x`); the number
 * never becomes a tensor. Gradients flow to the tensor operand only.
 */
function withNumber(kernel: BinaryKernel, x: Tensor, given: number, numberFirst: boolean): Tensor {
  // the number as float32, as PyTorch computes a float tensor with a Python scalar: every backend
  // then agrees (1e308 is Infinity, so −0 · 1e308 is NaN, not the −0 a float64 product would give)
  const value = Math.fround(given);
  switch (kernel) {
    case 'add':
      return scalarOp(kernel, 'addScalar', x, value, (dy) => [Tensor.view(dy, dy.shape)]);
    case 'mul':
      return scalarOp(kernel, 'mulScalar', x, value, (dy) => [mul(dy, value)]);
    case 'sub':
      if (!numberFirst) return scalarOp(kernel, 'addScalar', x, -value, (dy) => [Tensor.view(dy, dy.shape)]);
      {
        // v − x = (−x) + v; −x is an intermediate (the graph keeps what backward needs)
        const negated = neg(x);
        const y = add(negated, value);
        negated.dispose();
        return y;
      }
    case 'div':
      if (!numberFirst) {
        // x/v as x·(1/v) only where 1/v is a normal float32 (or v is 0, ±Inf or NaN, where the
        // product keeps IEEE division's answers): past that, 1/1e-45 is Infinity and −0·Infinity
        // NaN, and a subnormal 1/v loses digits, so the division runs as itself
        const reciprocal = Math.fround(1 / value);
        if (value === 0 || !Number.isFinite(value) || (Number.isFinite(reciprocal) && Math.abs(reciprocal) >= MIN_NORMAL_FLOAT32)) {
          return scalarOp(kernel, 'mulScalar', x, reciprocal, (dy) => [mul(dy, reciprocal)]);
        }
        const divisor = constantLike(x, value);
        const y = div(x, divisor);
        divisor.dispose();
        return y;
      }
      // d(v/x)/dx = −v/x²
      return scalarOp(kernel, 'rdivScalar', x, value, (dy, [sx]) => [mul(dy, div(-value, mul(sx!, sx!)))], true);
    case 'maximum':
      return scalarOp(kernel, 'maximumScalar', x, value);
    case 'minimum':
      return scalarOp(kernel, 'minimumScalar', x, value);
  }
}

function binaryOp(kernel: BinaryKernel, a: Operand, b: Operand, backward?: (ta: Tensor, tb: Tensor) => BackwardFn, save?: 'ab'): Tensor {
  return publicOp(kernel, () => {
    if (typeof a === 'number' && typeof b === 'number') {
      throw new HypercolumnError(`${kernel}: a expected a Tensor (at least one operand), got two numbers`, kernel, 'a');
    }
    if (typeof a === 'number') return withNumber(kernel, checkTensor(kernel, 'b', b), a, true);
    if (typeof b === 'number') return withNumber(kernel, checkTensor(kernel, 'a', a), b, false);
    const ta = checkTensor(kernel, 'a', a);
    const tb = checkTensor(kernel, 'b', b);
    const outShape = broadcastShapes(kernel, ta.shape, tb.shape);
    checkAllocation(kernel, 'b', outShape);
    if (ta.storage.backend !== tb.storage.backend) {
      throw new HypercolumnError(`${kernel}: b expected a tensor on backend "${ta.backend}" like a, got one on "${tb.backend}" (move it with tensor.to("${ta.backend}"))`, kernel, 'b');
    }
    const [y] = runKernel(kernel, { a: ta, b: tb }, { outShape }) as [Tensor];
    if (backward) record(kernel, y, [ta, tb], save ? [ta, tb] : [], backward(ta, tb));
    return y;
  });
}

/** a + b with NumPy broadcasting. */
export function add(a: Operand, b: Operand): Tensor {
  return binaryOp('add', a, b, (ta, tb) => (dy, _s, needs) => [
    needs[0] ? sumToShape(dy, ta.shape) : undefined,
    needs[1] ? sumToShape(dy, tb.shape) : undefined,
  ]);
}

/** a − b with NumPy broadcasting. */
export function sub(a: Operand, b: Operand): Tensor {
  return binaryOp('sub', a, b, (ta, tb) => (dy, _s, needs) => [
    needs[0] ? sumToShape(dy, ta.shape) : undefined,
    needs[1] ? sumToShape(neg(dy), tb.shape) : undefined,
  ]);
}

/** a · b elementwise with NumPy broadcasting. */
export function mul(a: Operand, b: Operand): Tensor {
  return binaryOp(
    'mul', a, b,
    (ta, tb) => (dy, [sa, sb], needs) => [
      needs[0] ? sumToShape(mul(dy, sb!), ta.shape) : undefined,
      needs[1] ? sumToShape(mul(dy, sa!), tb.shape) : undefined,
    ],
    'ab',
  );
}

/** a / b elementwise with NumPy broadcasting. */
export function div(a: Operand, b: Operand): Tensor {
  return binaryOp(
    'div', a, b,
    (ta, tb) => (dy, [sa, sb], needs) => [
      needs[0] ? sumToShape(div(dy, sb!), ta.shape) : undefined,
      needs[1] ? sumToShape(neg(div(mul(dy, sa!), mul(sb!, sb!))), tb.shape) : undefined,
    ],
    'ab',
  );
}

/** Elementwise maximum (not differentiated: the result is a constant for autograd). */
export function maximum(a: Operand, b: Operand): Tensor {
  return binaryOp('maximum', a, b);
}

/** Elementwise minimum (not differentiated: the result is a constant for autograd). */
export function minimum(a: Operand, b: Operand): Tensor {
  return binaryOp('minimum', a, b);
}

function unaryOp(kernel: UnaryKernel, x: Tensor, backward?: BackwardFn, saveOutput = false): Tensor {
  return publicOp(kernel, () => {
    checkTensor(kernel, 'x', x);
    const [y] = runKernel(kernel, { x }, {}) as [Tensor];
    if (backward) record(kernel, y, [x], [saveOutput ? y : x], backward);
    return y;
  });
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x, (dy) => [neg(dy)]);
/** √x; gradient dy / (2√x). */
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x, (dy, [y]) => [div(dy, mul(y!, 2))], true);
/** |x| (not differentiated). */
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x, (dy, [y]) => [mul(dy, y!)], true);
export const log = (x: Tensor): Tensor => unaryOp('log', x, (dy, [sx]) => [div(dy, sx!)]);
