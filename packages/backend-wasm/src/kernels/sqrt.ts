import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const sqrt: WasmKernel<'sqrt'> = ({ x }, _attrs, be) => unaryOp(be, UNARY.sqrt, x.data, numel(x.shape));
