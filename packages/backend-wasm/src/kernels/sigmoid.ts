import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const sigmoid: WasmKernel<'sigmoid'> = ({ x }, _attrs, be) => unaryOp(be, UNARY.sigmoid, x.data, numel(x.shape));
