import type { WasmKernel } from '../backend.js';
import { convBackpropInput } from '../conv.js';

export const conv2dBackpropInput: WasmKernel<'conv2dBackpropInput'> = ({ dy, w }, { geometry }, be) =>
  convBackpropInput(be, dy.data, w.data, geometry);
