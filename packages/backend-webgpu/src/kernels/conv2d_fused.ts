import type { GpuKernel } from '../backend.js';
import { convForward } from './conv2d.js';

/** conv2d + bias + activation in one pass (the activation is applied before the store). */
export const conv2dFused: GpuKernel<'conv2dFused'> = ({ x, w, b }, { geometry, activation }, gpu) =>
  convForward(gpu, x.data, w.data, b?.data, geometry, activation, 'conv2dFused');
