import type { CpuKernel } from '../backend.js';
import { gemm } from '../gemm.js';

/** y[N, out] = x[N, in] · wᵀ + b, w: [out, in], b: [out]. */
export const linear: CpuKernel<'linear'> = ({ x, w, b }) => {
  const N = x.shape[0], IN = x.shape[1], OUT = w.shape[0];
  const y = new Float32Array(N * OUT);
  if (b) {
    const bd = b.data;
    for (let n = 0; n < N; n++) y.set(bd.subarray(0, OUT), n * OUT);
  }
  gemm(N, OUT, IN, x.data, 0, IN, 1, w.data, 0, 1, IN, y, 0, OUT, b !== undefined);
  return y;
};
