import { nativeKernel } from '../backend.js';

export const matMul = nativeKernel('matMul', (a) => [a.transposeA ? 1 : 0, a.transposeB ? 1 : 0]);
