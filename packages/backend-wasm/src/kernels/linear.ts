import type { WasmKernel } from '../backend.js';
import { gemm, ptr, transposeMatrix } from '../ops.js';

/** y = x·wᵀ + b: w transposed once into scratch, then the row-major product. */
export const linear: WasmKernel<'linear'> = ({ x, w, b }, _attrs, be) => {
  const [out, inF] = [w.shape[0]!, w.shape[1]!];
  const wt = transposeMatrix(be, w.data, out, inF);
  const y = gemm(be, x.data.ptr, wt.ptr, ptr(b), x.shape[0]!, inF, out);
  be.release(wt);
  return y;
};
