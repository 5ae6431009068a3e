import type { WasmKernel } from '../backend.js';
import { axisOp, numel } from '../ops.js';

export const logSoftmax: WasmKernel<'logSoftmax'> = ({ x }, attrs, be) =>
  axisOp(be, 'softmax', [x.data.ptr], be.alloc(numel(x.shape)), attrs, true);
