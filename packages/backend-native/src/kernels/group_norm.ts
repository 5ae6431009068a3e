import { nativeKernel } from '../backend.js';

export const groupNorm = nativeKernel('groupNorm', (a) => [a.numGroups, a.eps]);
