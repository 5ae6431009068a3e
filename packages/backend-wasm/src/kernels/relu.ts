import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const relu: WasmKernel<'relu'> = ({ x }, _attrs, be) => unaryOp(be, UNARY.relu, x.data, numel(x.shape));
