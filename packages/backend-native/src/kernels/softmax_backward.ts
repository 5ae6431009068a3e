import { nativeKernel } from '../backend.js';
import { axisAttrs } from './geometry.js';

export const softmaxBackward = nativeKernel('softmaxBackward', axisAttrs);
