import { nativeKernel } from '../backend.js';

export const reluBackward = nativeKernel('reluBackward');
