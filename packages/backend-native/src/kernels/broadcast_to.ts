import { nativeKernel } from '../backend.js';

export const broadcastTo = nativeKernel('broadcastTo');
