import { nativeKernel } from '../backend.js';
import { poolAttrs } from './geometry.js';

export const maxPool2dBackward = nativeKernel('maxPool2dBackward', (a) => poolAttrs(a.geometry));
