import { nativeKernel } from '../backend.js';

export const softmaxCrossEntropyBackward = nativeKernel('softmaxCrossEntropyBackward');
