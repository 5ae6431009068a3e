import { guarded } from '../guard.js';
import { record } from '../autograd.js';
import { fail, HypercolumnError } from '../errors.js';
import { normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkTensor, shapeText } from '../validate.js';

/** Same data, another shape (no copy); one dimension may be −1. */
export const reshape = guarded('reshape', function reshape(x: Tensor, given: readonly number[]): Tensor {
  const op = 'reshape';
  checkTensor(op, 'x', x);
  if (!Array.isArray(given)) fail(op, 'shape', 'an array of integers', given);
  const shape = Array.from(given); // holes ([, 2]) as undefined, rejected below
  const inferred = shape.indexOf(-1);
  if (shape.some((s, i) => !Number.isInteger(s) || (s < 0 && !(s === -1 && i === inferred)) || (s === -1 && i !== inferred))) {
    fail(op, 'shape', 'non-negative integers with at most one −1', shape);
  }
  const known = shape.reduce((a, s) => (s === -1 ? a : a * s), 1);
  const dims = [...shape];
  if (inferred >= 0) {
    if (known === 0 || x.size % known !== 0) {
      throw new HypercolumnError(`${op}: shape expected a shape with ${x.size} elements, got ${shapeText(shape)}`, op, 'shape');
    }
    dims[inferred] = x.size / known;
  } else if (known !== x.size) {
    throw new HypercolumnError(`${op}: shape expected a shape with ${x.size} elements (x is ${shapeText(x.shape)}), got ${shapeText(shape)}`, op, 'shape');
  }
  const y = Tensor.view(x, dims);
  record(op, y, [x], [], (dy) => [Tensor.view(dy, x.shape)]);
  return y;
});

/** Flattens axes startDim..endDim into one (PyTorch torch.flatten). */
export const flatten = guarded('flatten', function flatten(x: Tensor, startDim = 1, endDim = -1): Tensor {
  const op = 'flatten';
  checkTensor(op, 'x', x);
  if (x.rank === 0) return reshape(x, [1]);
  const start = normalizeAxis(op, 'startDim', startDim, x.rank);
  const end = normalizeAxis(op, 'endDim', endDim, x.rank);
  if (start > end) fail(op, 'endDim', `an axis ≥ startDim (${start})`, endDim);
  const merged = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
});
