import type { WasmKernel } from '../backend.js';
import { BINARY, binaryOp } from '../ops.js';

/** dx = dy where x > 0, else 0. */
export const reluBackward: WasmKernel<'reluBackward'> = ({ dy, x }, _attrs, be) => binaryOp(be, BINARY.reluGrad, dy, x, x.shape);
