import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const rdivScalar: WasmKernel<'rdivScalar'> = ({ x }, { value }, be) => unaryOp(be, UNARY.rdivScalar, x.data, numel(x.shape), value);
