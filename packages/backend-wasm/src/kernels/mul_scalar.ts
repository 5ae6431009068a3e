import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const mulScalar: WasmKernel<'mulScalar'> = ({ x }, { value }, be) => unaryOp(be, UNARY.mulScalar, x.data, numel(x.shape), value);
