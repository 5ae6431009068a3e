import { nativeKernel } from '../backend.js';

export const globalAvgPool = nativeKernel('globalAvgPool');
