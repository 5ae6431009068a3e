import { DEFAULT_PRIORITIES, registerBackend, type KernelTable } from '@hypercolumn/core';
import { CpuBackend, type CpuBackendOptions } from './backend.js';
import { abs, add, div, exp, log, maximum, minimum, mul, neg, sqrt, sub } from './kernels/elementwise.js';
import { avgPool2d } from './kernels/avg_pool2d.js';
import { avgPool2dBackward } from './kernels/avg_pool2d_backward.js';
import { batchNormBackward } from './kernels/batch_norm_backward.js';
import { batchNormInference } from './kernels/batch_norm_inference.js';
import { batchNormTraining } from './kernels/batch_norm_training.js';
import { broadcastTo } from './kernels/broadcast_to.js';
import { conv2d } from './kernels/conv2d.js';
import { conv2dBackpropFilter } from './kernels/conv2d_backprop_filter.js';
import { conv2dBackpropInput } from './kernels/conv2d_backprop_input.js';
import { frn } from './kernels/frn.js';
import { frnBackward } from './kernels/frn_backward.js';
import { globalAvgPool } from './kernels/global_avg_pool.js';
import { groupNorm } from './kernels/group_norm.js';
import { groupNormBackward } from './kernels/group_norm_backward.js';
import { layerNorm } from './kernels/layer_norm.js';
import { layerNormBackward } from './kernels/layer_norm_backward.js';
import { linear } from './kernels/linear.js';
import { logSoftmax } from './kernels/log_softmax.js';
import { logSoftmaxBackward } from './kernels/log_softmax_backward.js';
import { matMul } from './kernels/mat_mul.js';
import { maxPool2d } from './kernels/max_pool2d.js';
import { maxPool2dBackward } from './kernels/max_pool2d_backward.js';
import { relu } from './kernels/relu.js';
import { reluBackward } from './kernels/relu_backward.js';
import { reverseSpatial } from './kernels/reverse_spatial.js';
import { softmax } from './kernels/softmax.js';
import { softmaxBackward } from './kernels/softmax_backward.js';
import { softmaxCrossEntropy } from './kernels/softmax_cross_entropy.js';
import { softmaxCrossEntropyBackward } from './kernels/softmax_cross_entropy_backward.js';
import { sum } from './kernels/sum.js';
import { tlu } from './kernels/tlu.js';
import { tluBackward } from './kernels/tlu_backward.js';

/** Every cpu kernel: the whole contract (cpu is the fallback for all other backends). */
export const cpuKernels: KernelTable<Float32Array, CpuBackend> = {
  conv2d, conv2dBackpropInput, conv2dBackpropFilter, reverseSpatial,
  maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, globalAvgPool,
  batchNormInference, batchNormTraining, batchNormBackward,
  layerNorm, layerNormBackward, groupNorm, groupNormBackward,
  frn, frnBackward, tlu, tluBackward,
  relu, reluBackward, linear, matMul,
  softmax, softmaxBackward, logSoftmax, logSoftmaxBackward,
  softmaxCrossEntropy, softmaxCrossEntropyBackward,
  add, sub, mul, div, maximum, minimum, neg, sqrt, abs, exp, log, sum, broadcastTo,
};

/** Creates a cpu backend (for registering by hand, e.g. under another name or with fewer kernels). */
export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  return new CpuBackend(options.kernels ?? cpuKernels, options.name);
}

registerBackend('cpu', () => createCpuBackend(), DEFAULT_PRIORITIES.cpu);

export { CpuBackend, type CpuBackendOptions, type CpuKernel } from './backend.js';
