import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';

const def: ProgramDef = {
  name: 'softmaxCrossEntropyBackward',
  inputs: ['logits', 'labels', 'dy'],
  outputs: ['dlogits'],
  uniforms: { N: 'u32', K: 'u32' },
  work: 'element',
  body: /* wgsl */ `
  let base = i * P.K;
  var m = negInfinity();
  for (var k = 0u; k < P.K; k = k + 1u) { m = max(m, logits[base + k]); }
  var z = 0.0;
  for (var k = 0u; k < P.K; k = k + 1u) { z = z + exp(logits[base + k] - m); }
  let valid = isClassIndex(labels[i], P.K);
  let label = select(P.K, u32(labels[i]), valid);
  let scale = select(nanValue(), dy[0] / f32(P.N), valid);
  for (var k = 0u; k < P.K; k = k + 1u) {
    dlogits[base + k] = (exp(logits[base + k] - m) / z - select(0.0, 1.0, k == label)) * scale;
  }`,
};

/** dlogits = (softmax − onehot(label))·dy/N; one invocation per row; a row with an invalid label is NaN. */
export const softmaxCrossEntropyBackward: GpuKernel<'softmaxCrossEntropyBackward'> = ({ logits, labels, dy }, _attrs, gpu) => {
  const N = logits.shape[0]!, K = logits.shape[1]!;
  const dlogits = gpu.alloc(N * K, 'softmaxCrossEntropyBackward');
  gpu.run(def, [logits.data, labels.data, dy.data], [dlogits], { N, K }, N);
  return dlogits;
};
