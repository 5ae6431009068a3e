import { nativeKernel } from '../backend.js';
import { axisAttrs } from './geometry.js';

export const logSoftmaxBackward = nativeKernel('logSoftmaxBackward', axisAttrs);
