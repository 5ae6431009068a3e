import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';

const def: ProgramDef = {
  name: 'softmaxCrossEntropy',
  inputs: ['logits', 'labels'],
  outputs: ['loss'],
  uniforms: { N: 'u32', K: 'u32' },
  work: 'group',
  body: /* wgsl */ `
  var total = 0.0;
  for (var n = lid; n < P.N; n = n + WG) {
    let base = n * P.K;
    var m = negInfinity();
    for (var k = 0u; k < P.K; k = k + 1u) { m = max(m, logits[base + k]); }
    var z = 0.0;
    for (var k = 0u; k < P.K; k = k + 1u) { z = z + exp(logits[base + k] - m); }
    let label = labels[n];
    if (isClassIndex(label, P.K)) {
      total = total + m + log(z) - logits[base + u32(label)];
    } else {
      total = nanValue();
    }
  }
  let s = groupSum(vec4f(total, 0.0, 0.0, 0.0), lid).x;
  if (lid == 0u) { loss[0] = s / f32(P.N); }`,
};

/** Mean over rows of logsumexp(logits[n]) − logits[n, label[n]]: one workgroup; NaN for an invalid label. */
export const softmaxCrossEntropy: GpuKernel<'softmaxCrossEntropy'> = ({ logits, labels }, _attrs, gpu) => {
  const loss = gpu.alloc(1, 'softmaxCrossEntropy');
  gpu.run(def, [logits.data, labels.data], [loss], { N: logits.shape[0]!, K: logits.shape[1]! }, 1);
  return loss;
};
