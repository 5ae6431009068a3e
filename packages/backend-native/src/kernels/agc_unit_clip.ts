import { nativeKernel } from '../backend.js';

export const agcUnitClip = nativeKernel('agcUnitClip', (a) => [a.units, a.unitSize, a.clipping, a.eps]);
