import { nativeKernel } from '../backend.js';

export const layerNorm = nativeKernel('layerNorm', (a) => [a.rowSize, a.eps]);
