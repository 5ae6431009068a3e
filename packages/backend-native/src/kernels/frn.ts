import { nativeKernel } from '../backend.js';

export const frn = nativeKernel('frn');
