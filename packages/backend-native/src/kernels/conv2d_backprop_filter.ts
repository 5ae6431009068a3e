import { nativeKernel } from '../backend.js';
import { convAttrs } from './geometry.js';

export const conv2dBackpropFilter = nativeKernel('conv2dBackpropFilter', (a) => convAttrs(a.geometry));
