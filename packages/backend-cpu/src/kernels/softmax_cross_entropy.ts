import type { CpuKernel } from '../backend.js';
import { rangeLogSumExp } from '../util/softmax.js';

/** labels: [N] class indices as float32. loss = mean over n of (logsumexp(logits[n]) − logits[n, label[n]]), stable, float64; shape []. */
export const softmaxCrossEntropy: CpuKernel<'softmaxCrossEntropy'> = ({ logits, labels }) => {
  const N = logits.shape[0]!, K = logits.shape[1]!;
  const x = logits.data, label = labels.data;
  let total = 0;
  for (let n = 0, b = 0; n < N; n++, b += K) total += rangeLogSumExp(x, b, b + K) - x[b + label[n]!]!;
  const loss = new Float32Array(1);
  loss[0] = total / N;
  return loss;
};
