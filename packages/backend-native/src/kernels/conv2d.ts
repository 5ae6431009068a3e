import { nativeKernel } from '../backend.js';
import { convAttrs } from './geometry.js';

export const conv2d = nativeKernel('conv2d', (a) => convAttrs(a.geometry));
