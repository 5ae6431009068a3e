import type { GpuKernel } from '../backend.js';
import { gemm } from '../gemm.js';

/** y[N, out] = x[N, in]·wᵀ + b: w[out, in] read transposed. */
export const linear: GpuKernel<'linear'> = ({ x, w, b }, _attrs, gpu) => {
  const N = x.shape[0]!, K = x.shape[1]!, O = w.shape[0]!;
  return gemm(gpu, 'linear', x.data, [K, 1], w.data, [1, K], N, O, K, b?.data);
};
