import type { WasmKernel } from '../backend.js';
import { BINARY, numel } from '../ops.js';
import { broadcastStrides, stridedOp } from '../strided.js';

export const broadcastTo: WasmKernel<'broadcastTo'> = ({ x }, { shape }, be) => {
  const y = be.alloc(numel(shape));
  const s = broadcastStrides(x.shape, shape);
  stridedOp(be, BINARY.copy, x.data.ptr, s, x.data.ptr, s, y.ptr, shape);
  return y;
};
