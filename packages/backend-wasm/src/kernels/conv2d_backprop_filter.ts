import type { WasmKernel } from '../backend.js';
import { convBackpropFilter } from '../conv.js';

export const conv2dBackpropFilter: WasmKernel<'conv2dBackpropFilter'> = ({ x, dy }, { geometry }, be) =>
  convBackpropFilter(be, x.data, dy.data, geometry);
