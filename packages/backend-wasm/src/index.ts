import { DEFAULT_PRIORITIES, HypercolumnError, registerBackend, type KernelName, type KernelTable } from '@hypercolumn/core';
import { WasmBackend, type WasmBackendOptions, type WasmBuffer } from './backend.js';
import { abs } from './kernels/abs.js';
import { adamStep } from './kernels/adam_step.js';
import { add } from './kernels/add.js';
import { addScalar } from './kernels/add_scalar.js';
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
import { div } from './kernels/div.js';
import { exp } from './kernels/exp.js';
import { fill } from './kernels/fill.js';
import { frn } from './kernels/frn.js';
import { frnBackward } from './kernels/frn_backward.js';
import { frnTlu } from './kernels/frn_tlu.js';
import { globalAvgPool } from './kernels/global_avg_pool.js';
import { groupNorm } from './kernels/group_norm.js';
import { groupNormBackward } from './kernels/group_norm_backward.js';
import { layerNorm } from './kernels/layer_norm.js';
import { layerNormBackward } from './kernels/layer_norm_backward.js';
import { linear } from './kernels/linear.js';
import { log } from './kernels/log.js';
import { logSoftmax } from './kernels/log_softmax.js';
import { logSoftmaxBackward } from './kernels/log_softmax_backward.js';
import { matMul } from './kernels/mat_mul.js';
import { maxPool2d } from './kernels/max_pool2d.js';
import { maxPool2dBackward } from './kernels/max_pool2d_backward.js';
import { maximum } from './kernels/maximum.js';
import { maximumScalar } from './kernels/maximum_scalar.js';
import { minimum } from './kernels/minimum.js';
import { minimumScalar } from './kernels/minimum_scalar.js';
import { mul } from './kernels/mul.js';
import { mulScalar } from './kernels/mul_scalar.js';
import { neg } from './kernels/neg.js';
import { rdivScalar } from './kernels/rdiv_scalar.js';
import { relu } from './kernels/relu.js';
import { reluBackward } from './kernels/relu_backward.js';
import { reverseSpatial } from './kernels/reverse_spatial.js';
import { sgdMomentumStep } from './kernels/sgd_momentum_step.js';
import { scaledAdd } from './kernels/scaled_add.js';
import { sgdStep } from './kernels/sgd_step.js';
import { sigmoid } from './kernels/sigmoid.js';
import { slice } from './kernels/slice.js';
import { softmax } from './kernels/softmax.js';
import { softmaxBackward } from './kernels/softmax_backward.js';
import { softmaxCrossEntropy } from './kernels/softmax_cross_entropy.js';
import { softmaxCrossEntropyBackward } from './kernels/softmax_cross_entropy_backward.js';
import { sqrt } from './kernels/sqrt.js';
import { sub } from './kernels/sub.js';
import { sum } from './kernels/sum.js';
import { tanh } from './kernels/tanh.js';
import { tlu } from './kernels/tlu.js';
import { tluBackward } from './kernels/tlu_backward.js';
import { transpose } from './kernels/transpose.js';

/** Every kernel of the contract, native in wasm. */
export const wasmKernels: KernelTable<WasmBuffer, WasmBackend> = {
  conv2d, conv2dBackpropInput, conv2dBackpropFilter, reverseSpatial, conv2dFused,
  maxPool2d, maxPool2dBackward, avgPool2d, avgPool2dBackward, globalAvgPool,
  batchNormInference, batchNormInferenceFused, batchNormTraining, batchNormBackward,
  layerNorm, layerNormBackward, groupNorm, groupNormBackward, frn, frnBackward, frnTlu, tlu, tluBackward,
  relu, reluBackward, sigmoid, tanh, linear, matMul, softmax, softmaxBackward, logSoftmax, logSoftmaxBackward,
  softmaxCrossEntropy, softmaxCrossEntropyBackward, argmax,
  add, sub, mul, div, maximum, minimum, addScalar, mulScalar, rdivScalar, maximumScalar, minimumScalar,
  neg, sqrt, abs, exp, log, fill, sum, broadcastTo, transpose, concat, slice,
  scaledAdd, sgdStep, sgdMomentumStep, adamStep, agcUnitClip,
};

/**
 * Wraps each kernel with the one check the backend itself owes: no input may be storage that was
 * already freed (a disposed tensor reaching a kernel is a HypercolumnError, never a wrong read).
 */
function guarded(table: KernelTable<WasmBuffer, WasmBackend>): KernelTable<WasmBuffer, WasmBackend> {
  const out: Record<string, unknown> = {};
  for (const [name, kernel] of Object.entries(table) as [KernelName, (...a: unknown[]) => unknown][]) {
    out[name] = (inputs: Record<string, { data: WasmBuffer } | undefined>, ...rest: unknown[]) => {
      for (const [arg, t] of Object.entries(inputs)) {
        if (t?.data.freed) throw new HypercolumnError(`${name}: ${arg} expected a live tensor, got a disposed one`, name, arg);
      }
      return kernel(inputs, ...rest);
    };
  }
  return out as KernelTable<WasmBuffer, WasmBackend>;
}

/**
 * Creates a wasm backend: picks the relaxed-SIMD build where the engine validates it (unless
 * `simd: 'plain'` or `deterministic`), starts `threads − 1` workers on shared memory where the
 * environment allows it (else one thread, with the reason in `description`).
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  return WasmBackend.create(options, guarded(options?.kernels ?? wasmKernels));
}

registerBackend('wasm', () => createWasmBackend(), DEFAULT_PRIORITIES.wasm);

export { WasmBackend, WasmBuffer, type WasmBackendOptions, type WasmKernel } from './backend.js';
