import type { WasmKernel } from '../backend.js';
import { BINARY, binaryOp } from '../ops.js';

export const mul: WasmKernel<'mul'> = ({ a, b }, { outShape }, be) => binaryOp(be, BINARY.mul, a, b, outShape);
