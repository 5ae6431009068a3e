import type { WasmKernel } from '../backend.js';

export const softmaxCrossEntropyBackward: WasmKernel<'softmaxCrossEntropyBackward'> = ({ logits, labels, dy }, _attrs, be) => {
  const [N, K] = [logits.shape[0]!, logits.shape[1]!];
  const dlogits = be.alloc(N * K);
  be.call('crossEntropy', [logits.data.ptr, labels.data.ptr, N, K, dy.data.ptr, dlogits.ptr]);
  return dlogits;
};
