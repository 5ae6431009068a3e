import { availableParallelism } from 'node:os';
import { DEFAULT_PRIORITIES, HypercolumnError, registerBackend, type KernelTable } from '@hypercolumn/core';
import { loadAddon } from './addon.js';
import { NativeBackend, type NativeBackendOptions, type NativeHandle } from './backend.js';
import { add, sub, mul, div, maximum, minimum, neg, sqrt, abs, exp, log, sigmoid, tanh, addScalar, mulScalar, rdivScalar, maximumScalar, minimumScalar, fill } from './kernels/elementwise.js';
import { conv2d } from './kernels/conv2d.js';
import { conv2dFused } from './kernels/conv2d_fused.js';
import { conv2dBackpropInput } from './kernels/conv2d_backprop_input.js';
import { conv2dBackpropFilter } from './kernels/conv2d_backprop_filter.js';
import { reverseSpatial } from './kernels/reverse_spatial.js';
import { maxPool2d } from './kernels/max_pool2d.js';
import { maxPool2dBackward } from './kernels/max_pool2d_backward.js';
import { avgPool2d } from './kernels/avg_pool2d.js';
import { avgPool2dBackward } from './kernels/avg_pool2d_backward.js';
import { globalAvgPool } from './kernels/global_avg_pool.js';
import { batchNormInference } from './kernels/batch_norm_inference.js';
import { batchNormInferenceFused } from './kernels/batch_norm_inference_fused.js';
import { batchNormTraining } from './kernels/batch_norm_training.js';
import { batchNormBackward } from './kernels/batch_norm_backward.js';
import { layerNorm } from './kernels/layer_norm.js';
import { layerNormBackward } from './kernels/layer_norm_backward.js';
import { groupNorm } from './kernels/group_norm.js';
import { groupNormBackward } from './kernels/group_norm_backward.js';
import { frn } from './kernels/frn.js';
import { frnBackward } from './kernels/frn_backward.js';
import { frnTlu } from './kernels/frn_tlu.js';
import { tlu } from './kernels/tlu.js';
import { tluBackward } from './kernels/tlu_backward.js';
import { relu } from './kernels/relu.js';
import { reluBackward } from './kernels/relu_backward.js';
import { linear } from './kernels/linear.js';
import { matMul } from './kernels/mat_mul.js';
import { softmax } from './kernels/softmax.js';
import { softmaxBackward } from './kernels/softmax_backward.js';
import { logSoftmax } from './kernels/log_softmax.js';
import { logSoftmaxBackward } from './kernels/log_softmax_backward.js';
import { softmaxCrossEntropy } from './kernels/softmax_cross_entropy.js';
import { softmaxCrossEntropyBackward } from './kernels/softmax_cross_entropy_backward.js';
import { argmax } from './kernels/argmax.js';
import { sum } from './kernels/sum.js';
import { broadcastTo } from './kernels/broadcast_to.js';
import { transpose } from './kernels/transpose.js';
import { concat } from './kernels/concat.js';
import { slice } from './kernels/slice.js';
import { sgdStep } from './kernels/sgd_step.js';
import { sgdMomentumStep } from './kernels/sgd_momentum_step.js';
import { adamStep } from './kernels/adam_step.js';
import { agcUnitClip } from './kernels/agc_unit_clip.js';

/** Every native kernel: the whole contract, none left to a fallback. */
export const nativeKernels: KernelTable<NativeHandle, NativeBackend> = {
  conv2d, conv2dFused, conv2dBackpropInput, conv2dBackpropFilter, reverseSpatial, maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, globalAvgPool, batchNormInference, batchNormInferenceFused, batchNormTraining, batchNormBackward, layerNorm, layerNormBackward, groupNorm, groupNormBackward, frn, frnBackward, frnTlu, tlu, tluBackward, relu, reluBackward, linear, matMul, softmax, softmaxBackward, logSoftmax, logSoftmaxBackward, softmaxCrossEntropy, softmaxCrossEntropyBackward, argmax, sum, broadcastTo, transpose, concat, slice, sgdStep, sgdMomentumStep, adamStep, agcUnitClip, add, sub, mul, div, maximum, minimum, neg, sqrt, abs, exp, log, sigmoid, tanh, addScalar, mulScalar, rdivScalar, maximumScalar, minimumScalar, fill,
};

/** Why the native backend cannot start here, or undefined when it can. */
export function nativeUnavailableReason(): string | undefined {
  const r = loadAddon();
  return 'reason' in r ? r.reason : undefined;
}

/**
 * Creates a native backend: its own buffer registry, pool and `threads` worker threads (default: all
 * cores). Throws with the reason and the fix when the addon is not built.
 */
export function createNativeBackend(options: NativeBackendOptions = {}): NativeBackend {
  const op = 'createNativeBackend';
  const bad = (argument: string, expected: string, got: unknown): never => {
    throw new HypercolumnError(`${op}: ${argument} expected ${expected}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}`, op, argument);
  };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) bad('options', 'an object', options);
  const { threads: asked, isa, asyncMinFlops, name } = options;
  if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1 && asked <= 256)) bad('threads', 'an integer in [1, 256]', asked);
  if (isa !== undefined && isa !== 'avx512' && isa !== 'avx2' && isa !== 'base') bad('isa', "'avx512', 'avx2' or 'base'", isa);
  if (asyncMinFlops !== undefined && !(typeof asyncMinFlops === 'number' && asyncMinFlops >= 0)) bad('asyncMinFlops', 'a number ≥ 0 (Infinity: never off the JS thread)', asyncMinFlops);
  if (name !== undefined && (typeof name !== 'string' || name === '')) bad('name', 'a non-empty string', name);
  const r = loadAddon();
  if ('reason' in r) throw new HypercolumnError(`${op}: native backend unavailable: ${r.reason}`, op, 'addon');
  const threads = asked ?? availableParallelism();
  try {
    return new NativeBackend(r.addon, options.kernels ?? nativeKernels, { ...options, threads });
  } catch (err) {
    // the addon refuses an instruction set this CPU lacks
    throw new HypercolumnError(`${op}: ${err instanceof Error ? err.message : String(err)}`, op, isa !== undefined ? 'isa' : 'options');
  }
}

registerBackend('native', () => createNativeBackend(), DEFAULT_PRIORITIES.native);

export { NativeBackend, NativeHandle, nativeKernel, type NativeBackendOptions, type NativeKernel } from './backend.js';
