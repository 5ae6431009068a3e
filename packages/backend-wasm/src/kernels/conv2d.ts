import type { WasmKernel } from '../backend.js';
import { convForward } from '../conv.js';

export const conv2d: WasmKernel<'conv2d'> = ({ x, w, b }, { geometry }, be) => convForward(be, x.data, w.data, b?.data, geometry, false);
