import type { CpuKernel } from '../backend.js';
import { isClassIndex } from '../util/label.js';
import { rangeLogSumExp } from '../util/softmax.js';

/** dlogits = (softmax(logits) − onehot(labels))·dy/N, dy of shape [] (one element); a row with an invalid label is NaN. */
export const softmaxCrossEntropyBackward: CpuKernel<'softmaxCrossEntropyBackward'> = ({ logits, labels, dy }) => {
  const N = logits.shape[0]!, K = logits.shape[1]!;
  const x = logits.data, label = labels.data;
  const scale = dy.data[0]! / N;
  const dx = new Float32Array(x.length);
  for (let n = 0, b = 0; n < N; n++, b += K) {
    if (!isClassIndex(label[n]!, K)) {
      dx.fill(NaN, b, b + K);
      continue;
    }
    const [m, logSum] = rangeLogSumExp(x, b, b + K);
    for (let i = b, e = b + K; i < e; i++) dx[i] = Math.exp(x[i]! - m - logSum) * scale;
    const l = b + label[n]!;
    dx[l] = (Math.exp(x[l]! - m - logSum) - 1) * scale; // in float64: no cancellation after rounding p·scale
  }
  return dx;
};
