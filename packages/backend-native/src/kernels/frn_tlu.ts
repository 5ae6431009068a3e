import { nativeKernel } from '../backend.js';

export const frnTlu = nativeKernel('frnTlu');
