import { nativeKernel } from '../backend.js';

export const transpose = nativeKernel('transpose', (a) => a.perm);
