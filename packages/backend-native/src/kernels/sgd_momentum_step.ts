import { nativeKernel } from '../backend.js';

export const sgdMomentumStep = nativeKernel('sgdMomentumStep', (a) => [a.lr, a.momentum, a.dampening, a.weightDecay, a.nesterov ? 1 : 0]);
