/**
 * The same LeNet-5 in TensorFlow.js (tfjs-core + tfjs-backend-cpu), trained the same way (SGD with
 * momentum, cross-entropy, NCHW data transposed to tfjs's NHWC): the peer for `bench`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

let gradientsRegistered = false;

/**
 * tfjs-core's node bundle ships no gradient functions (the `@tensorflow/tfjs` union package
 * registers them); register the few LeNet needs, the way tfjs's own gradient configs do: through
 * the same backprop kernels (Conv2DBackpropInput/Filter, MaxPoolGrad).
 */
function registerGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: object) =>
    tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor;
  const reduceTo = (dy: tf.Tensor, shape: number[]) => {
    const axes = tf.backend_util.getReductionAxes(shape, dy.shape);
    return axes.length ? tf.reshape(tf.sum(dy, axes), shape) : dy;
  };
  tf.registerGradient({
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter], attrs: any) => ({
      x: () => run('Conv2DBackpropInput', { dy: dy as tf.Tensor, filter: filter! }, { ...attrs, inputShape: x!.shape }),
      filter: () => run('Conv2DBackpropFilter', { x: x!, dy: dy as tf.Tensor }, { ...attrs, filterShape: filter!.shape }),
    }),
  });
  tf.registerGradient({
    kernelName: 'MaxPool',
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y], attrs: any) => ({ x: () => run('MaxPoolGrad', { dy: dy as tf.Tensor, input: x!, output: y! }, attrs) }),
  });
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.step(x!)) }),
  });
  tf.registerGradient({
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => reduceTo(dy as tf.Tensor, a!.shape), b: () => reduceTo(dy as tf.Tensor, b!.shape) }),
  });
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => tf.matMul(dy as tf.Tensor, b!, false, true),
      b: () => tf.matMul(a!, dy as tf.Tensor, true, false),
    }),
  });
  tf.registerGradient({
    kernelName: 'Transpose',
    gradFunc: (dy, _saved, attrs: any) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  });
  tf.registerGradient({
    kernelName: 'Reshape',
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x!.shape) }),
  });
}

/** Mean softmax cross-entropy of logits [N, 10] against one-hot targets, with its analytic gradient. */
const crossEntropy = tf.customGrad(((logits: tf.Tensor, onehot: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
  const logp = tf.logSoftmax(logits);
  save([logp, onehot]);
  const n = logits.shape[0]!;
  return {
    value: tf.div(tf.neg(tf.sum(tf.mul(onehot, logp))), n),
    gradFunc: (dy: tf.Tensor, [lp, oh]: tf.Tensor[]) => [tf.mul(tf.sub(tf.exp(lp!), oh!), tf.div(dy, n)), tf.zerosLike(oh!)],
  };
}) as never) as unknown as (logits: tf.Tensor, onehot: tf.Tensor) => tf.Scalar;

export interface TfjsLenet {
  /** One SGD step on x [n·784] (standardised), labels y; returns the loss. */
  step(x: Float32Array, y: Int32Array): number;
  dispose(): void;
}

/** PyTorch-style uniform(−1/√fanIn, 1/√fanIn) init (deterministic given tfjs's seed argument). */
function uniform(shape: number[], fanIn: number, seed: number): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', seed));
}

export async function createTfjsLenet(options: { lr?: number; momentum?: number; seed?: number } = {}): Promise<TfjsLenet> {
  tf.env().set('PROD', true); // no "install tfjs-node" banner, no debug checks
  await tf.setBackend('cpu');
  await tf.ready();
  registerGradients();
  const seed = options.seed ?? 1;
  const conv1 = uniform([5, 5, 1, 6], 25, seed);
  const b1 = uniform([6], 25, seed + 1);
  const conv2 = uniform([5, 5, 6, 16], 150, seed + 2);
  const b2 = uniform([16], 150, seed + 3);
  const fc1 = uniform([400, 120], 400, seed + 4);
  const f1 = uniform([120], 400, seed + 5);
  const fc2 = uniform([120, 84], 120, seed + 6);
  const f2 = uniform([84], 120, seed + 7);
  const fc3 = uniform([84, 10], 84, seed + 8);
  const f3 = uniform([10], 84, seed + 9);
  const vars = [conv1, b1, conv2, b2, fc1, f1, fc2, f2, fc3, f3];
  const optimizer = tf.train.momentum(options.lr ?? 0.05, options.momentum ?? 0.9);

  const forward = (x: tf.Tensor4D): tf.Tensor2D => {
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, conv1 as tf.Tensor4D, 1, 2), b1)), 2, 2, 'valid') as tf.Tensor4D;
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, conv2 as tf.Tensor4D, 1, 'valid'), b2)), 2, 2, 'valid') as tf.Tensor4D;
    // flatten in NCHW order, so the fc weights mean the same as in the hypercolumn model
    let f = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [h.shape[0], 400]) as tf.Tensor2D;
    f = tf.relu(tf.add(tf.matMul(f, fc1 as tf.Tensor2D), f1));
    f = tf.relu(tf.add(tf.matMul(f, fc2 as tf.Tensor2D), f2));
    return tf.add(tf.matMul(f, fc3 as tf.Tensor2D), f3);
  };

  return {
    step(x, y) {
      const n = y.length;
      const loss = tf.tidy(() => {
        const xs = tf.tensor4d(x, [n, 28, 28, 1]); // C = 1: NCHW and NHWC coincide
        const ys = tf.oneHot(tf.tensor1d(y, 'int32'), 10);
        return optimizer.minimize(() => crossEntropy(forward(xs), ys), true, vars)!;
      });
      const value = loss.dataSync()[0]!;
      loss.dispose();
      return value;
    },
    dispose() {
      for (const v of vars) v.dispose();
      optimizer.dispose();
    },
  };
}
