import type { WasmKernel } from '../backend.js';
import { BINARY, binaryOp } from '../ops.js';

export const add: WasmKernel<'add'> = ({ a, b }, { outShape }, be) => binaryOp(be, BINARY.add, a, b, outShape);
