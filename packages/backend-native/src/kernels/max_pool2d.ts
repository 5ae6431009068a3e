import { nativeKernel } from '../backend.js';
import { poolAttrs } from './geometry.js';

export const maxPool2d = nativeKernel('maxPool2d', (a) => poolAttrs(a.geometry));
