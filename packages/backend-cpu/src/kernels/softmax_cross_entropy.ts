import type { CpuKernel } from '../backend.js';
import { isClassIndex } from '../util/label.js';
import { rangeLogSumExp } from '../util/softmax.js';

/** labels: [N] class indices as float32 (an invalid one makes the loss NaN). loss = mean over n of (logsumexp(logits[n]) − logits[n, label[n]]), stable, float64; shape []. */
export const softmaxCrossEntropy: CpuKernel<'softmaxCrossEntropy'> = ({ logits, labels }) => {
  const N = logits.shape[0]!, K = logits.shape[1]!;
  const x = logits.data, label = labels.data;
  let total = 0;
  for (let n = 0, b = 0; n < N; n++, b += K) {
    if (!isClassIndex(label[n]!, K)) return Float32Array.of(NaN);
    const [m, logSum] = rangeLogSumExp(x, b, b + K);
    total += m - x[b + label[n]!]! + logSum;
  }
  const loss = new Float32Array(1);
  loss[0] = total / N;
  return loss;
};
