import { nativeKernel } from '../backend.js';

export const batchNormBackward = nativeKernel('batchNormBackward', (a) => [a.eps]);
