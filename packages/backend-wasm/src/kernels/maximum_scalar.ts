import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const maximumScalar: WasmKernel<'maximumScalar'> = ({ x }, { value }, be) => unaryOp(be, UNARY.maximumScalar, x.data, numel(x.shape), value);
