import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';

export const fill: WasmKernel<'fill'> = (_inputs, { value }, be, outShapes) => unaryOp(be, UNARY.fill, null, numel(outShapes.y), value);
