import { nativeKernel } from '../backend.js';

export const frnBackward = nativeKernel('frnBackward');
