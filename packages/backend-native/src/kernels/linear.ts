import { nativeKernel } from '../backend.js';

export const linear = nativeKernel('linear');
