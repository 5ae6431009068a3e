import type { CpuKernel } from '../backend.js';
import { gemm } from '../gemm.js';

/** y[M, N] = op(a)[M, K] · op(b)[K, N], op = transpose when the attribute says so. */
export const matMul: CpuKernel<'matMul'> = ({ a, b }, { transposeA, transposeB }) => {
  const [ar, ac] = a.shape, [br, bc] = b.shape;
  const M = transposeA ? ac : ar, K = transposeA ? ar : ac;
  const N = transposeB ? br : bc;
  const y = new Float32Array(M * N);
  // A(i, k) = a[i·ac + k] or a[k·ac + i];  B(k, j) = b[k·bc + j] or b[j·bc + k]
  gemm(
    M, N, K,
    a.data, 0, transposeA ? 1 : ac, transposeA ? ac : 1,
    b.data, 0, transposeB ? 1 : bc, transposeB ? bc : 1,
    y, 0, N, false,
  );
  return y;
};
