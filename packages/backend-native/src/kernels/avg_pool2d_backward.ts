import { nativeKernel } from '../backend.js';
import { poolAttrs } from './geometry.js';

export const avgPool2dBackward = nativeKernel('avgPool2dBackward', (a) => [...poolAttrs(a.geometry), a.countIncludePad ? 1 : 0]);
