import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const addScalar: WasmKernel<'addScalar'> = ({ x }, { value }, be) => unaryOp(be, UNARY.addScalar, x.data, numel(x.shape), value);
