import type { WasmKernel } from '../backend.js';
import { gemm, transposeMatrix } from '../ops.js';

/** op(a)·op(b): transposed operands are materialized in scratch, then the row-major product. */
export const matMul: WasmKernel<'matMul'> = ({ a, b }, { transposeA, transposeB }, be) => {
  const [ar, ac] = [a.shape[0]!, a.shape[1]!], [br, bc] = [b.shape[0]!, b.shape[1]!];
  const at = transposeA ? transposeMatrix(be, a.data, ar, ac) : null;
  const bt = transposeB ? transposeMatrix(be, b.data, br, bc) : null;
  const M = transposeA ? ac : ar, K = transposeA ? ar : ac, N = transposeB ? br : bc;
  const y = gemm(be, (at ?? a.data).ptr, (bt ?? b.data).ptr, 0, M, K, N);
  if (at) be.release(at);
  if (bt) be.release(bt);
  return y;
};
