import type { WasmKernel } from '../backend.js';
import { BINARY, binaryOp } from '../ops.js';

export const minimum: WasmKernel<'minimum'> = ({ a, b }, { outShape }, be) => binaryOp(be, BINARY.minimum, a, b, outShape);
