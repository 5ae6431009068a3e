import type { GpuKernel } from '../backend.js';
import { gemm } from '../gemm.js';

/** op(a)[M, K]·op(b)[K, N]; a transpose only swaps the strides. */
export const matMul: GpuKernel<'matMul'> = ({ a, b }, { transposeA, transposeB }, gpu, { y }) => {
  const [M, N] = [y[0]!, y[1]!];
  const K = transposeA ? a.shape[0]! : a.shape[1]!;
  const aStrides: [number, number] = transposeA ? [1, M] : [K, 1];
  const bStrides: [number, number] = transposeB ? [1, K] : [N, 1];
  return gemm(gpu, 'matMul', a.data, aStrides, b.data, bStrides, M, N, K);
};
