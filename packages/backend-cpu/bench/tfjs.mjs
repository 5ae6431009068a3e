// TensorFlow.js cpu for the benchmark scripts: it is installed in the conformance suite and the MNIST
// app, not in this package (the cpu backend does not depend on it).
import { createRequire } from 'node:module';
import { join } from 'node:path';

export async function loadTfjsCpu(root) {
  for (const dir of process.env.NO_TFJS ? [] : ['conformance', 'apps/train-mnist']) {
    try {
      const req = createRequire(join(root, dir, 'package.json'));
      const tf = req('@tensorflow/tfjs-core');
      req('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend('cpu');
      return tf;
    } catch {
      // not installed there: try the next place
    }
  }
  console.log('(tfjs-cpu not found: hypercolumn numbers only)');
  return null;
}
