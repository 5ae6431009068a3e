import type { WasmKernel } from '../backend.js';
import { convForward } from '../conv.js';

/** Bias and relu applied as the conv's tiles are stored (no extra pass). */
export const conv2dFused: WasmKernel<'conv2dFused'> = ({ x, w, b }, { geometry, activation }, be) =>
  convForward(be, x.data, w.data, b?.data, geometry, activation === 'relu');
