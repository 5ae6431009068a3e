import { nativeKernel } from '../backend.js';
import { convAttrs } from './geometry.js';

export const conv2dBackpropInput = nativeKernel('conv2dBackpropInput', (a) => convAttrs(a.geometry));
