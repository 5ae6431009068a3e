import { nativeKernel } from '../backend.js';

export const groupNormBackward = nativeKernel('groupNormBackward', (a) => [a.numGroups, a.eps]);
