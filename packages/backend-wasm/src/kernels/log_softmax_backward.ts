import type { WasmKernel } from '../backend.js';
import { axisOp, numel } from '../ops.js';

export const logSoftmaxBackward: WasmKernel<'logSoftmaxBackward'> = ({ dy, y }, attrs, be) =>
  axisOp(be, 'softmaxGrad', [dy.data.ptr, y.data.ptr], be.alloc(numel(y.shape)), attrs, true);
