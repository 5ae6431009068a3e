/**
 * What a PyTorch user reaches for first, as compositions of contract kernels (so every backend gets
 * them, natively or through core's composites): sigmoid, tanh, permute/transpose, concat, argmax,
 * dropout. Validation here, once; each is a public op (rejected calls leave nothing behind).
 */
import { record } from '../autograd.js';
import { runKernel } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { guarded } from '../guard.js';
import { globalGenerator, RandomGenerator } from '../random.js';
import { normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkBoolean, checkOptions, checkTensor, shapeText } from '../validate.js';
import { tensor } from './creation.js';
import { mul, sub } from './elementwise.js';

/** 1 / (1 + e^−x); gradient dy·y·(1 − y). */
export const sigmoid = guarded('sigmoid', function sigmoid(x: Tensor): Tensor {
  checkTensor('sigmoid', 'x', x);
  const [y] = runKernel('sigmoid', { x }, {}) as [Tensor];
  record('sigmoid', y, [x], [y], (dy, [sy]) => [mul(dy, mul(sy!, sub(1, sy!)))]);
  return y;
});

/** tanh(x); gradient dy·(1 − y²). */
export const tanh = guarded('tanh', function tanh(x: Tensor): Tensor {
  checkTensor('tanh', 'x', x);
  const [y] = runKernel('tanh', { x }, {}) as [Tensor];
  record('tanh', y, [x], [y], (dy, [sy]) => [mul(dy, sub(1, mul(sy!, sy!)))]);
  return y;
});

/** Reorders the axes (torch.permute): y.shape[i] = x.shape[dims[i]]; a copy, differentiable. */
export const permute = guarded('permute', function permute(x: Tensor, dims: readonly number[]): Tensor {
  const op = 'permute';
  checkTensor(op, 'x', x);
  if (!Array.isArray(dims) || dims.length !== x.rank) fail(op, 'dims', `an array of ${x.rank} axes (a permutation of x's axes)`, dims);
  const perm = Array.from(dims, (d, i) => normalizeAxis(op, `dims[${i}]`, d, x.rank));
  if (new Set(perm).size !== perm.length) fail(op, 'dims', 'each axis once', dims);
  return permuteChecked(op, x, perm);
});

function permuteChecked(op: string, x: Tensor, perm: number[]): Tensor {
  const [y] = runKernel('transpose', { x }, { perm }) as [Tensor];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  record(op, y, [x], [], (dy) => [runKernel('transpose', { x: dy }, { perm: inverse })[0]]);
  return y;
}

/** Swaps two axes (torch.transpose(x, dim0, dim1)); default the last two (a matrix transpose). */
export const transpose = guarded('transpose', function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const op = 'transpose';
  checkTensor(op, 'x', x);
  if (x.rank < 2 && (dim0 === -2 || dim1 === -1)) fail(op, 'x', 'a tensor of rank ≥ 2 (or explicit dims)', x.shape);
  const a = normalizeAxis(op, 'dim0', dim0, x.rank);
  const b = normalizeAxis(op, 'dim1', dim1, x.rank);
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permuteChecked(op, x, perm);
});

/** Joins tensors along `axis` (torch.cat): every other axis must match; differentiable. */
export const concat = guarded('concat', function concat(given: readonly Tensor[], axis = 0): Tensor {
  const op = 'concat';
  if (!Array.isArray(given) || given.length === 0) fail(op, 'tensors', 'a non-empty array of tensors', given);
  const tensors = Array.from(given, (t, i) => checkTensor(op, `tensors[${i}]`, t)); // a hole is not a tensor
  const first: Tensor = tensors[0]!;
  if (first.rank === 0) fail(op, 'tensors[0]', 'a tensor of rank ≥ 1 (a scalar has no axis to join)', first.shape);
  const ax = normalizeAxis(op, 'axis', axis, first.rank);
  tensors.forEach((t: Tensor, i: number) => {
    if (t.rank !== first.rank || t.shape.some((s: number, k: number) => k !== ax && s !== first.shape[k])) {
      throw new HypercolumnError(`${op}: tensors[${i}] expected shape ${shapeText(first.shape.map((s, k) => (k === ax ? -1 : s)))} (any size on axis ${ax}), got ${shapeText(t.shape)}`, op, `tensors[${i}]`);
    }
    if (t.backend !== first.backend) fail(op, `tensors[${i}]`, `a tensor on backend "${first.backend}" like tensors[0]`, `one on "${t.backend}"`);
  });
  const outer = first.shape.slice(0, ax).reduce((p, s) => p * s, 1);
  const inner = first.shape.slice(ax + 1).reduce((p, s) => p * s, 1);
  if (tensors.length === 1) {
    const copy = Tensor.view(first, first.shape);
    record(op, copy, [first], [], (dy) => [Tensor.view(dy, dy.shape)]);
    return copy;
  }
  // joined pairwise (the kernel takes two inputs); each join records its own split in backward
  let y = first;
  for (let i = 1; i < tensors.length; i++) {
    const a = y;
    const b: Tensor = tensors[i]!;
    const aSize = a.shape[ax]!;
    const bSize = b.shape[ax]!;
    const [joined] = runKernel('concat', { a, b }, { axis: ax, outer, aSize, bSize, inner }) as [Tensor];
    record(op, joined, [a, b], [], (dy, _s, needs) => [
      needs[0] ? runKernel('slice', { x: dy }, { axis: ax, outer, axisSize: aSize + bSize, inner, begin: 0, size: aSize })[0] : undefined,
      needs[1] ? runKernel('slice', { x: dy }, { axis: ax, outer, axisSize: aSize + bSize, inner, begin: aSize, size: bSize })[0] : undefined,
    ]);
    if (a !== first) a.dispose();
    y = joined;
  }
  return y;
});

/**
 * Index of the largest value along `dim` (torch.argmax; first index on ties, NaN counts as largest),
 * as float32 values (exact below 2^24); not differentiable. Without `dim`, over the flattened tensor.
 */
export const argmax = guarded('argmax', function argmax(x: Tensor, dim?: number, keepDim = false): Tensor {
  const op = 'argmax';
  checkTensor(op, 'x', x);
  checkBoolean(op, 'keepDim', keepDim);
  if (x.size === 0) fail(op, 'x', 'a non-empty tensor', x.shape);
  if (dim === undefined || dim === null) {
    const flat = Tensor.view(x, [x.size]);
    const [y] = runKernel('argmax', { x: flat }, { outer: 1, axisSize: x.size, inner: 1 }) as [Tensor];
    flat.dispose();
    const out = Tensor.view(y, keepDim ? x.shape.map(() => 1) : []);
    y.dispose();
    return out;
  }
  const axis = normalizeAxis(op, 'dim', dim, Math.max(x.rank, 1));
  const outer = x.shape.slice(0, axis).reduce((p, s) => p * s, 1);
  const inner = x.shape.slice(axis + 1).reduce((p, s) => p * s, 1);
  const [y] = runKernel('argmax', { x }, { outer, axisSize: x.shape[axis] ?? 1, inner }) as [Tensor];
  const shape = keepDim ? x.shape.map((s, i) => (i === axis ? 1 : s)) : x.shape.filter((_, i) => i !== axis);
  const out = Tensor.view(y, shape);
  y.dispose();
  return out;
});

export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1) (default 0.5). */
  p?: number;
  /** Apply dropout (default true); false is the identity, as in eval mode. */
  training?: boolean;
  /** A private seed for this call's mask (default: the global generator, see manualSeed). */
  seed?: number;
}

/**
 * Inverted dropout (torch.nn.functional.dropout): each element is zeroed with probability p and the
 * rest scaled by 1/(1 − p), so the expectation is unchanged; the identity when not training or p = 0.
 * The mask is drawn on the host from hypercolumn's seeded generator and uploaded once.
 */
export const dropout = guarded('dropout', function dropout(x: Tensor, options: DropoutOptions = {}): Tensor {
  const op = 'dropout';
  checkTensor(op, 'x', x);
  const opts = checkOptions<DropoutOptions>(op, options, ['p', 'training', 'seed']);
  const p = opts.p ?? 0.5;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) fail(op, 'p', 'a probability in [0, 1)', p);
  const training = checkBoolean(op, 'training', opts.training ?? true);
  if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isSafeInteger(opts.seed))) fail(op, 'seed', 'a safe integer', opts.seed);
  if (!training || p === 0) {
    const y = Tensor.view(x, x.shape);
    record(op, y, [x], [], (dy) => [Tensor.view(dy, dy.shape)]);
    return y;
  }
  const generator = opts.seed === undefined ? globalGenerator() : new RandomGenerator(opts.seed);
  const keepScale = 1 / (1 - p);
  const values = new Float32Array(x.size);
  for (let i = 0; i < values.length; i++) values[i] = generator.nextFloat() < p ? 0 : keepScale;
  const mask = tensor(values, [...x.shape], { backend: x.backend });
  const y = mul(x, mask); // mul records the gradient dy·mask
  mask.dispose();
  return y;
});
