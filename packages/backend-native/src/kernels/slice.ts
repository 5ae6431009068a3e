import { nativeKernel } from '../backend.js';

export const slice = nativeKernel('slice', (a) => [a.outer, a.axisSize, a.inner, a.begin, a.size]);
