import { nativeKernel } from '../backend.js';

export const layerNormBackward = nativeKernel('layerNormBackward', (a) => [a.rowSize, a.eps]);
