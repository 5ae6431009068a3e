import { nativeKernel } from '../backend.js';

export const adamStep = nativeKernel('adamStep', (a) => [a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.decoupled ? 1 : 0, a.step]);
