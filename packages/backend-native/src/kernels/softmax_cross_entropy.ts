import { nativeKernel } from '../backend.js';

export const softmaxCrossEntropy = nativeKernel('softmaxCrossEntropy');
