import { nativeKernel } from '../backend.js';
import { poolAttrs } from './geometry.js';

export const avgPool2d = nativeKernel('avgPool2d', (a) => [...poolAttrs(a.geometry), a.countIncludePad ? 1 : 0]);
