import type { CpuKernel } from '../backend.js';
import { rangeLogSumExp } from '../util/softmax.js';

/** dlogits = (softmax(logits) − onehot(labels))·dy/N, dy of shape [] (one element). */
export const softmaxCrossEntropyBackward: CpuKernel<'softmaxCrossEntropyBackward'> = ({ logits, labels, dy }) => {
  const N = logits.shape[0]!, K = logits.shape[1]!;
  const x = logits.data, label = labels.data;
  const scale = dy.data[0]! / N;
  const dx = new Float32Array(x.length);
  for (let n = 0, b = 0; n < N; n++, b += K) {
    const lse = rangeLogSumExp(x, b, b + K);
    for (let i = b, e = b + K; i < e; i++) dx[i] = Math.exp(x[i]! - lse) * scale;
    const l = b + label[n]!;
    dx[l] = (Math.exp(x[l]! - lse) - 1) * scale; // in float64: no cancellation after rounding p·scale
  }
  return dx;
};
