import type { WasmKernel } from '../backend.js';
import { BINARY, numel } from '../ops.js';
import { contiguousStrides, stridedOp } from '../strided.js';

export const transpose: WasmKernel<'transpose'> = ({ x }, { perm }, be) => {
  const xs = contiguousStrides(x.shape);
  const outShape = perm.map((p) => x.shape[p]!);
  const s = perm.map((p) => xs[p]!);
  const y = be.alloc(numel(outShape));
  stridedOp(be, BINARY.copy, x.data.ptr, s, x.data.ptr, s, y.ptr, outShape);
  return y;
};
