import type { CpuKernel } from '../backend.js';
import { reluInPlace } from '../util/activation.js';
import { conv2d } from './conv2d.js';

/** conv2d + bias, then the activation in place on the fresh output (one pass, no extra buffer). */
export const conv2dFused: CpuKernel<'conv2dFused'> = (inputs, { geometry, activation }, backend, outShapes) => {
  const y = conv2d(inputs, { geometry }, backend, outShapes);
  if (activation === 'relu') reluInPlace(y);
  return y;
};
