import type { GpuData, WebGpuBackend } from './backend.js';
import { type ProgramDef, variant } from './shader.js';

function gemmDef(hasBias: boolean): ProgramDef {
  return variant(`gemm${hasBias ? '_bias' : ''}`, () => ({
    inputs: hasBias ? ['a', 'b', 'bias'] : ['a', 'b'],
    outputs: ['y'],
    uniforms: { M: 'u32', N: 'u32', K: 'u32', aRow: 'u32', aCol: 'u32', bRow: 'u32', bCol: 'u32' },
    work: 'element',
    body: /* wgsl */ `
  let m = i / P.N;
  let n = i % P.N;
  var acc = 0.0;
  for (var k = 0u; k < P.K; k = k + 1u) { acc = acc + a[m * P.aRow + k * P.aCol] * b[k * P.bRow + n * P.bCol]; }
  ${hasBias ? 'acc = acc + bias[n];' : ''}
  y[i] = acc;`,
  }));
}

/**
 * y[M, N] = A[M, K]·B[K, N] (+ bias[N]), A and B read through (row, col) strides so transposes
 * cost nothing; one invocation per output.
 */
export function gemm(
  gpu: WebGpuBackend, op: string, a: GpuData, aStrides: [number, number], b: GpuData, bStrides: [number, number],
  M: number, N: number, K: number, bias?: GpuData,
): GpuData {
  const y = gpu.alloc(M * N, op);
  gpu.run(gemmDef(!!bias), bias ? [a, b, bias] : [a, b], [y],
    { M, N, K, aRow: aStrides[0], aCol: aStrides[1], bRow: bStrides[0], bCol: bStrides[1] }, M * N);
  return y;
}
