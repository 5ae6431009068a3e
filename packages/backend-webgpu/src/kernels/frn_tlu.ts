import type { GpuKernel } from '../backend.js';
import { frnPlanes } from './frn.js';

/** FRN then TLU in one pass per plane. */
export const frnTlu: GpuKernel<'frnTlu'> = (inputs, _attrs, gpu) => frnPlanes(gpu, inputs, 'frnTlu')[0]!;
