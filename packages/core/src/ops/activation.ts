import { guarded, publicOp } from '../guard.js';
import { record } from '../autograd.js';
import { runKernel } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import type { AxisAttrs } from '../kernels.js';
import { normalizeAxis } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkRank, checkTensor, shapeText } from '../validate.js';
import { tensor } from './creation.js';

/** max(x, 0); gradient 0 at x ≤ 0 (as PyTorch). */
export const relu = guarded('relu', function relu(x: Tensor): Tensor {
  checkTensor('relu', 'x', x);
  const [y] = runKernel('relu', { x }, {}) as [Tensor];
  record('relu', y, [x], [x], (dy, [sx]) => [runKernel('reluBackward', { dy, x: sx! }, {})[0]]);
  return y;
});

function axisAttrs(op: string, x: Tensor, dim: number): AxisAttrs {
  const axis = normalizeAxis(op, 'dim', dim, Math.max(x.rank, 1));
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, axisSize: x.shape[axis] ?? 1, inner };
}

function softmaxLike(op: 'softmax' | 'logSoftmax', x: Tensor, dim: number): Tensor {
  return publicOp(op, () => {
    checkTensor(op, 'x', x);
    const attrs = axisAttrs(op, x, dim);
    const [y] = runKernel(op, { x }, attrs) as [Tensor];
    const backward = op === 'softmax' ? 'softmaxBackward' : 'logSoftmaxBackward';
    record(op, y, [x], [y], (dy, [sy]) => [runKernel(backward, { dy, y: sy! }, attrs)[0]]);
    return y;
  });
}

/** Softmax along `dim` (default the last axis), numerically stable. */
export const softmax = (x: Tensor, dim = -1): Tensor => softmaxLike('softmax', x, dim);
/** log(softmax) along `dim`, computed stably (not as log of softmax). */
export const logSoftmax = (x: Tensor, dim = -1): Tensor => softmaxLike('logSoftmax', x, dim);

/** Each label an integer class index in [0, k): what the kernels take (the contract). */
function checkClassIndices(op: string, labels: ArrayLike<unknown>, k: number): Float32Array {
  return Float32Array.from(Array.from(labels), (label, i) => {
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= k) fail(op, `labels[${i}]`, `an integer class index in [0, ${k - 1}]`, label);
    return label;
  });
}

/**
 * Cross-entropy of logits [N, K] against integer class labels (mean over N), as PyTorch
 * F.cross_entropy with default reduction. `labels` is an Int32Array / number[] (checked, uploaded
 * once) or a tensor [N] of class indices on the logits' backend, checked too where the backend reads
 * synchronously (cpu, native, wasm); on WebGPU it is not read back: an invalid index there makes
 * the loss (and that row's gradient) NaN, never another row's value.
 */
export const crossEntropy = guarded('crossEntropy', function crossEntropy(logits: Tensor, labels: Tensor | Int32Array | readonly number[]): Tensor {
  const op = 'crossEntropy';
  checkRank(op, 'logits', logits, 2, 'N, K');
  const [n, k] = logits.shape as [number, number];
  let labelTensor: Tensor;
  if (labels instanceof Tensor) {
    checkRank(op, 'labels', labels, 1, 'N');
    if (labels.shape[0] !== n) {
      throw new HypercolumnError(`${op}: labels expected shape [${n}] (one class index per row of logits ${shapeText(logits.shape)}), got ${shapeText(labels.shape)}`, op, 'labels');
    }
    // a read of N values where it is synchronous; a kernel indexes memory with these
    if (labels.storage.backend.readSync) checkClassIndices(op, labels.dataSync(), k);
    labelTensor = labels;
  } else {
    if (!(labels instanceof Int32Array) && !Array.isArray(labels)) fail(op, 'labels', 'a Tensor, an Int32Array or an array of class indices', labels);
    if (labels.length !== n) {
      throw new HypercolumnError(`${op}: labels expected ${n} class indices (one per row of logits ${shapeText(logits.shape)}), got ${labels.length}`, op, 'labels');
    }
    const checked = checkClassIndices(op, labels, k);
    // class indices travel as a float32 input tensor (exact up to 2^24 classes), uploaded once
    labelTensor = tensor(checked, [n], { backend: logits.backend });
  }
  const [loss] = runKernel('softmaxCrossEntropy', { logits, labels: labelTensor }, {}) as [Tensor];
  record(op, loss, [logits], [logits, labelTensor], (dy, [sl, st]) => [runKernel('softmaxCrossEntropyBackward', { logits: sl!, labels: st!, dy }, {})[0]]);
  if (labelTensor !== labels) labelTensor.dispose();
  return loss;
});
