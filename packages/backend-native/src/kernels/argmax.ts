import { nativeKernel } from '../backend.js';
import { axisAttrs } from './geometry.js';

export const argmax = nativeKernel('argmax', axisAttrs);
