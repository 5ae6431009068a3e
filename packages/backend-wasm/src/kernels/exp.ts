import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const exp: WasmKernel<'exp'> = ({ x }, _attrs, be) => unaryOp(be, UNARY.exp, x.data, numel(x.shape));
