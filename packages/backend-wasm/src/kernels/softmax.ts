import type { WasmKernel } from '../backend.js';
import { axisOp, numel } from '../ops.js';

export const softmax: WasmKernel<'softmax'> = ({ x }, attrs, be) =>
  axisOp(be, 'softmax', [x.data.ptr], be.alloc(numel(x.shape)), attrs, false);
