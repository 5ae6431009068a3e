import type { WasmKernel } from '../backend.js';
import { BINARY, binaryOp } from '../ops.js';

export const sub: WasmKernel<'sub'> = ({ a, b }, { outShape }, be) => binaryOp(be, BINARY.sub, a, b, outShape);
