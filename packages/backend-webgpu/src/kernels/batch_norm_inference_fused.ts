import type { GpuKernel } from '../backend.js';
import { batchNormApply } from './batch_norm_inference.js';

/** Batch norm (inference) with the activation applied before the store. */
export const batchNormInferenceFused: GpuKernel<'batchNormInferenceFused'> = (inputs, { eps, activation }, gpu) =>
  batchNormApply(gpu, inputs, eps, activation, 'batchNormInferenceFused');
