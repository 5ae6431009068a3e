import { nativeKernel } from '../backend.js';
import { axisAttrs } from './geometry.js';

export const logSoftmax = nativeKernel('logSoftmax', axisAttrs);
