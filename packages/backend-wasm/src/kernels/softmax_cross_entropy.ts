import type { WasmKernel } from '../backend.js';

export const softmaxCrossEntropy: WasmKernel<'softmaxCrossEntropy'> = ({ logits, labels }, _attrs, be) => {
  const loss = be.alloc(1);
  be.call('crossEntropy', [logits.data.ptr, labels.data.ptr, logits.shape[0]!, logits.shape[1]!, 0, loss.ptr]);
  return loss;
};
