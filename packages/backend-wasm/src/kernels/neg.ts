import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const neg: WasmKernel<'neg'> = ({ x }, _attrs, be) => unaryOp(be, UNARY.neg, x.data, numel(x.shape));
