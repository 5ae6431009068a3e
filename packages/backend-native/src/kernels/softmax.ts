import { nativeKernel } from '../backend.js';
import { axisAttrs } from './geometry.js';

export const softmax = nativeKernel('softmax', axisAttrs);
