import { guarded } from '../guard.js';
import { record } from '../autograd.js';
import { runKernel } from '../engine.js';
import { HypercolumnError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkOptionalShape, checkRank, shapeText } from '../validate.js';
import { sum } from './reduce.js';
import { reshape } from './reshape.js';

/** 2-d matrix product a [M, K] · b [K, N]. */
export const matMul = guarded('matMul', function matMul(a: Tensor, b: Tensor): Tensor {
  const op = 'matMul';
  checkRank(op, 'a', a, 2, 'M, K');
  checkRank(op, 'b', b, 2, 'K, N');
  if (a.shape[1] !== b.shape[0]) {
    throw new HypercolumnError(`${op}: b expected ${a.shape[1]} rows (a is ${shapeText(a.shape)}), got ${shapeText(b.shape)}`, op, 'b');
  }
  const [y] = runKernel(op, { a, b }, { transposeA: false, transposeB: false }) as [Tensor];
  record(op, y, [a, b], [a, b], (dy, [sa, sb], needs) => [
    needs[0] ? runKernel(op, { a: dy, b: sb! }, { transposeA: false, transposeB: true })[0] : undefined,
    needs[1] ? runKernel(op, { a: sa!, b: dy }, { transposeA: true, transposeB: false })[0] : undefined,
  ]);
  return y;
});

/** y = x·wᵀ + b for x [..., in], w [out, in], b [out] (PyTorch F.linear). */
export const linear = guarded('linear', function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  const op = 'linear';
  checkRank(op, 'x', x, [1, 2, 3, 4, 5, 6], '…, in');
  checkRank(op, 'w', w, 2, 'out, in');
  const [outFeatures, inFeatures] = w.shape as [number, number];
  if (x.shape[x.rank - 1] !== inFeatures) {
    throw new HypercolumnError(`${op}: x expected a last axis of ${inFeatures} (w is ${shapeText(w.shape)}), got shape ${shapeText(x.shape)}`, op, 'x');
  }
  const bias = checkOptionalShape(op, 'b', b ?? undefined, [outFeatures]);
  const x2 = x.rank === 2 ? x : reshape(x, [-1, inFeatures]);
  const [y2] = runKernel(op, { x: x2, w, b: bias }, {}) as [Tensor];
  record(op, y2, [x2, w, bias], [x2, w], (dy, [sx, sw], needs) => [
    needs[0] ? runKernel('matMul', { a: dy, b: sw! }, { transposeA: false, transposeB: false })[0] : undefined,
    needs[1] ? runKernel('matMul', { a: dy, b: sx! }, { transposeA: true, transposeB: false })[0] : undefined,
    needs[2] ? sum(dy, 0) : undefined,
  ]);
  if (x2 === x) return y2;
  const y = reshape(y2, [...x.shape.slice(0, -1), outFeatures]);
  x2.dispose();
  y2.dispose();
  return y;
});
