import { nativeKernel } from '../backend.js';

export const sgdStep = nativeKernel('sgdStep', (a) => [a.lr, a.weightDecay]);
