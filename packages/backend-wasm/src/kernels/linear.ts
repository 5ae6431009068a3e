import type { WasmKernel } from '../backend.js';
import { gemm, ptr, transposeInto } from '../ops.js';

/** y = x·wᵀ + b: w transposed once per weight tensor (kept with it), then the row-major product. */
export const linear: WasmKernel<'linear'> = ({ x, w, b }, _attrs, be) => {
  const [out, inF] = [w.shape[0]!, w.shape[1]!];
  const wt = be.derived(w.data, `transpose ${out} ${inF}`, out * inF * 4, (to) => transposeInto(be, w.data, out, inF, to));
  return gemm(be, x.data.ptr, wt.ptr, ptr(b), x.shape[0]!, inF, out);
};
