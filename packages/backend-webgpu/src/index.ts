import { DEFAULT_PRIORITIES, registerBackend, type BackendOptions, type KernelTable } from '@hypercolumn/core';
import { WebGpuBackend, type GpuData } from './backend.js';
import { requestGpu, type GpuRequestOptions } from './device.js';
import { adamStep } from './kernels/adam_step.js';
import { agcUnitClip } from './kernels/agc_unit_clip.js';
import { argmax } from './kernels/argmax.js';
import { avgPool2d } from './kernels/avg_pool2d.js';
import { avgPool2dBackward } from './kernels/avg_pool2d_backward.js';
import { batchNormBackward } from './kernels/batch_norm_backward.js';
import { batchNormInference } from './kernels/batch_norm_inference.js';
import { batchNormInferenceFused } from './kernels/batch_norm_inference_fused.js';
import { batchNormTraining } from './kernels/batch_norm_training.js';
import { broadcastTo } from './kernels/broadcast_to.js';
import { concat } from './kernels/concat.js';
import { conv2d } from './kernels/conv2d.js';
import { conv2dBackpropFilter } from './kernels/conv2d_backprop_filter.js';
import { conv2dBackpropInput } from './kernels/conv2d_backprop_input.js';
import { conv2dFused } from './kernels/conv2d_fused.js';
import {
  abs, add, addScalar, div, exp, fill, log, maximum, maximumScalar, minimum, minimumScalar, mul, mulScalar, neg,
  rdivScalar, relu, reluBackward, sigmoid, sqrt, sub, tanh,
} from './kernels/elementwise.js';
import { frn } from './kernels/frn.js';
import { frnBackward } from './kernels/frn_backward.js';
import { frnTlu } from './kernels/frn_tlu.js';
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
import { reverseSpatial } from './kernels/reverse_spatial.js';
import { scaledAdd } from './kernels/scaled_add.js';
import { sgdMomentumStep } from './kernels/sgd_momentum_step.js';
import { sgdStep } from './kernels/sgd_step.js';
import { slice } from './kernels/slice.js';
import { softmax } from './kernels/softmax.js';
import { softmaxBackward } from './kernels/softmax_backward.js';
import { softmaxCrossEntropy } from './kernels/softmax_cross_entropy.js';
import { softmaxCrossEntropyBackward } from './kernels/softmax_cross_entropy_backward.js';
import { sum } from './kernels/sum.js';
import { transpose } from './kernels/transpose.js';
import { tlu } from './kernels/tlu.js';
import { tluBackward } from './kernels/tlu_backward.js';

/** Every webgpu kernel: the whole contract. */
export const webgpuKernels: KernelTable<GpuData, WebGpuBackend> = {
  conv2d, conv2dBackpropInput, conv2dBackpropFilter, reverseSpatial, conv2dFused,
  maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, globalAvgPool,
  batchNormInference, batchNormInferenceFused, batchNormTraining, batchNormBackward,
  layerNorm, layerNormBackward, groupNorm, groupNormBackward,
  frn, frnBackward, frnTlu, tlu, tluBackward,
  relu, reluBackward, sigmoid, tanh, linear, matMul,
  softmax, softmaxBackward, logSoftmax, logSoftmaxBackward, softmaxCrossEntropy, softmaxCrossEntropyBackward, argmax,
  add, sub, mul, div, maximum, minimum, scaledAdd, addScalar, mulScalar, rdivScalar, maximumScalar, minimumScalar,
  neg, sqrt, abs, exp, log, fill, sum, broadcastTo, transpose, concat, slice,
  sgdStep, sgdMomentumStep, adamStep, agcUnitClip,
};

/** A software (fallback) adapter ranks just below wasm: correct, but slower than good CPU code. */
export const FALLBACK_ADAPTER_PRIORITY = (DEFAULT_PRIORITIES.wasm + DEFAULT_PRIORITIES.cpu) / 2;

/** `threads` (every backend factory takes it) is accepted and ignored: the GPU schedules itself. */
export interface WebGpuBackendOptions extends GpuRequestOptions, BackendOptions {
  /** Kernels to register (default: all of `webgpuKernels`). */
  kernels?: KernelTable<GpuData, WebGpuBackend>;
  /** Backend name (default 'webgpu'). */
  name?: string;
}

/**
 * Creates a webgpu backend on a fresh device (each call requests its own, so a backend whose device
 * was lost can be re-created). Rejects with the reason when no adapter or device is available.
 */
export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  const context = await requestGpu(options);
  return new WebGpuBackend(context, options.kernels ?? webgpuKernels, {
    name: options.name ?? 'webgpu',
    priority: context.isFallback ? FALLBACK_ADAPTER_PRIORITY : DEFAULT_PRIORITIES.webgpu,
  });
}

registerBackend('webgpu', () => createWebGpuBackend(), DEFAULT_PRIORITIES.webgpu);

export { WebGpuBackend, sizeClass, type GpuData, type GpuKernel } from './backend.js';
export { requestGpu, type GpuContext, type GpuRequestOptions } from './device.js';
