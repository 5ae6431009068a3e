import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const tanh: WasmKernel<'tanh'> = ({ x }, _attrs, be) => unaryOp(be, UNARY.tanh, x.data, numel(x.shape));
