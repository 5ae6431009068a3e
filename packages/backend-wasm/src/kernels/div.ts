import type { WasmKernel } from '../backend.js';
import { BINARY, binaryOp } from '../ops.js';

export const div: WasmKernel<'div'> = ({ a, b }, { outShape }, be) => binaryOp(be, BINARY.div, a, b, outShape);
