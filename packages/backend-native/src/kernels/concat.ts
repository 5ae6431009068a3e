import { nativeKernel } from '../backend.js';

export const concat = nativeKernel('concat', (a) => [a.outer, a.aSize, a.bSize, a.inner]);
