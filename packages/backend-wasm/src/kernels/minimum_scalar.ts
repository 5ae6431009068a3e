import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const minimumScalar: WasmKernel<'minimumScalar'> = ({ x }, { value }, be) => unaryOp(be, UNARY.minimumScalar, x.data, numel(x.shape), value);
