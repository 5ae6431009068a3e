import type { CpuKernel } from '../backend.js';
import { reluInPlace } from '../util/activation.js';
import { batchNormInference } from './batch_norm_inference.js';

/** Batch norm inference, then the activation in place on the fresh output. */
export const batchNormInferenceFused: CpuKernel<'batchNormInferenceFused'> = (inputs, { eps, activation }, backend, outShapes) => {
  const y = batchNormInference(inputs, { eps }, backend, outShapes);
  if (activation === 'relu') reluInPlace(y);
  return y;
};
