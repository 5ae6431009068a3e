import { nativeKernel } from '../backend.js';
import { activationCode, convAttrs } from './geometry.js';

export const conv2dFused = nativeKernel('conv2dFused', (a) => [...convAttrs(a.geometry), activationCode(a.activation)]);
