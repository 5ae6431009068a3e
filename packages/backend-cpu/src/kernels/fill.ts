import type { CpuKernel } from '../backend.js';
import { sizeOf } from '../util/shape.js';

/** A new tensor of the output shape filled with `value`. */
export const fill: CpuKernel<'fill'> = (_inputs, { value }, _backend, { y }) => new Float32Array(sizeOf(y)).fill(value);
