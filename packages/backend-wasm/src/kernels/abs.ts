import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const abs: WasmKernel<'abs'> = ({ x }, _attrs, be) => unaryOp(be, UNARY.abs, x.data, numel(x.shape));
