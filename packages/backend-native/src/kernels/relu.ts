import { nativeKernel } from '../backend.js';

export const relu = nativeKernel('relu');
