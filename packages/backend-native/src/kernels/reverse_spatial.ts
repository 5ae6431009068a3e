import { nativeKernel } from '../backend.js';

export const reverseSpatial = nativeKernel('reverseSpatial');
