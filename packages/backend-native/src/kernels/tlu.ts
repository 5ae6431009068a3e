import { nativeKernel } from '../backend.js';

export const tlu = nativeKernel('tlu');
