import { nativeKernel } from '../backend.js';

export const tluBackward = nativeKernel('tluBackward');
