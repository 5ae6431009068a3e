import type { WasmKernel } from '../backend.js';
import { BINARY, binaryOp } from '../ops.js';

export const maximum: WasmKernel<'maximum'> = ({ a, b }, { outShape }, be) => binaryOp(be, BINARY.maximum, a, b, outShape);
