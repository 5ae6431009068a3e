import { nativeKernel } from '../backend.js';
import { activationCode } from './geometry.js';

export const batchNormInferenceFused = nativeKernel('batchNormInferenceFused', (a) => [a.eps, activationCode(a.activation)]);
