import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const log: WasmKernel<'log'> = ({ x }, _attrs, be) => unaryOp(be, UNARY.log, x.data, numel(x.shape));
