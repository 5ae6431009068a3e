import type { WasmBackend, WasmBuffer } from './backend.js';
import { broadcastStrides, stridedOp } from './strided.js';

/** Elements per work unit of the flat kernels (CHUNK in assembly/elementwise.ts). */
export const CHUNK = 256;

/** Codes of assembly `unary`. */
export const UNARY = {
  neg: 0, sqrt: 1, abs: 2, exp: 3, log: 4, relu: 5, sigmoid: 6, tanh: 7,
  addScalar: 10, mulScalar: 11, rdivScalar: 12, maximumScalar: 13, minimumScalar: 14, fill: 15,
} as const;

/** Codes of assembly `strided`. */
export const BINARY = { copy: 0, add: 1, sub: 2, mul: 3, div: 4, maximum: 5, minimum: 6, reluGrad: 7 } as const;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** y = op(x[, scalar]) elementwise (x may be absent for fill). */
export function unaryOp(b: WasmBackend, code: number, x: WasmBuffer | null, n: number, scalar = 0): WasmBuffer {
  const y = b.alloc(n);
  b.exec('unary', [code, x ? x.ptr : 0, y.ptr, n, scalar], Math.ceil(n / CHUNK), CHUNK * (code >= 3 && code <= 7 ? 20 : 1));
  return y;
}

/** y = op(a, b) with NumPy broadcasting to outShape. */
export function binaryOp(
  be: WasmBackend, code: number, a: { data: WasmBuffer; shape: readonly number[] }, b: { data: WasmBuffer; shape: readonly number[] },
  outShape: readonly number[],
): WasmBuffer {
  const y = be.alloc(numel(outShape));
  stridedOp(be, code, a.data.ptr, broadcastStrides(a.shape, outShape), b.data.ptr, broadcastStrides(b.shape, outShape), y.ptr, outShape);
  return y;
}

/** [N, C, spatial…] as N, C and the spatial size. */
export function planes(shape: readonly number[]): { N: number; C: number; S: number } {
  return { N: shape[0]!, C: shape[1]!, S: numel(shape.slice(2)) };
}

/** Optional tensor pointer (0 = absent). */
export function ptr(t: { data: WasmBuffer } | undefined): number {
  return t ? t.data.ptr : 0;
}

/** [outer, axis, inner] kernels of the softmax family: one unit per (outer, inner) lane. */
export function axisOp(
  b: WasmBackend, fn: 'softmax' | 'softmaxGrad' | 'argmax', inputs: number[], out: WasmBuffer,
  attrs: { outer: number; axisSize: number; inner: number }, log?: boolean,
): WasmBuffer {
  const { outer, axisSize, inner } = attrs;
  const tail = fn === 'argmax' ? [] : [log ? 1 : 0];
  b.exec(fn, [...inputs, out.ptr, axisSize, inner, ...tail], outer * inner, axisSize * 20);
  return out;
}

/**
 * Per-plane channel normalization forward (batch norm, group norm, FRN, TLU-fused): y = affine of
 * the statistics; see assembly `channelAffine`.
 */
export function channelAffine(
  b: WasmBackend, x: WasmBuffer, shape: readonly number[],
  o: { mean: number; variance: number; eps: number; epsPtr: number; scale: number; offset: number; tau: number; relu: boolean; statsPerN: number; chPerStat: number },
): WasmBuffer {
  const { N, C, S } = planes(shape);
  const y = b.alloc(N * C * S);
  b.exec('channelAffine', [
    x.ptr, y.ptr, o.mean, o.variance, o.eps, o.epsPtr, o.scale, o.offset, o.tau, o.relu ? 1 : 0, C, S, o.statsPerN, o.chPerStat,
  ], N * C, S * 2);
  return y;
}

/**
 * Gradient of a per-plane normalization (batch norm, group norm, FRN): plane sums, then dx, then
 * the per-channel parameter gradients; see assembly `normGradApply`.
 */
export function channelNormGrad(
  b: WasmBackend, dy: WasmBuffer, x: WasmBuffer, shape: readonly number[],
  o: { mean: number; variance: number; eps: number; epsPtr: number; weight: number; statsPerN: number; chPerStat: number },
): { dx: WasmBuffer; dweight: WasmBuffer; dbias: WasmBuffer; deps: WasmBuffer | null } {
  const { N, C, S } = planes(shape);
  const sums = b.scratch(N * C * 16);
  b.exec('planeGradSums', [dy.ptr, x.ptr, o.mean, sums.ptr, C, S, o.statsPerN, o.chPerStat], N * C, S * 2);
  const dx = b.alloc(N * C * S);
  b.exec('normGradApply', [
    dy.ptr, x.ptr, dx.ptr, o.mean, o.variance, o.eps, o.epsPtr, o.weight, sums.ptr, N, C, S, o.statsPerN, o.chPerStat,
  ], N * C, S * 2);
  const dweight = b.alloc(C), dbias = b.alloc(C);
  const deps = o.epsPtr ? b.alloc(1) : null;
  b.call('normGradParams', [o.variance, o.eps, o.epsPtr, o.weight, sums.ptr, dweight.ptr, dbias.ptr, deps ? deps.ptr : 0, N, C, o.statsPerN, o.chPerStat]);
  b.release(sums);
  return { dx, dweight, dbias, deps };
}

/** Biased mean and variance per statistic, two passes (see assembly `meanVar`). */
export function meanVar(
  b: WasmBackend, x: WasmBuffer, stats: number, statStride: number, reps: number, chunkStride: number, len: number,
): [WasmBuffer, WasmBuffer] {
  const mean = b.alloc(stats), variance = b.alloc(stats);
  b.exec('meanVar', [x.ptr, mean.ptr, variance.ptr, statStride, reps, chunkStride, len], stats, reps * len * 3);
  return [mean, variance];
}

/** y[c, r] = x[r, c] for one R×C matrix. */
export function transposeMatrix(b: WasmBackend, x: WasmBuffer, R: number, C: number, scratch = true): WasmBuffer {
  const y = scratch ? b.scratch(R * C * 4) : b.alloc(R * C);
  transposeInto(b, x, R, C, y.ptr);
  return y;
}

/** Writes the transpose of the R×C matrix x at pointer `to`. */
export function transposeInto(b: WasmBackend, x: WasmBuffer, R: number, C: number, to: number): void {
  b.exec('transpose2d', [x.ptr, to, R, C], Math.ceil(R / 8), 8 * C);
}

/** C[M, N] = A[M, K]·B[K, N] (+ bias[N]). */
export function gemm(b: WasmBackend, a: number, bm: number, bias: number, M: number, K: number, N: number): WasmBuffer {
  const y = b.alloc(M * N);
  b.exec('gemm', [a, bm, bias, y.ptr, M, K, N], Math.ceil(M / 4), 8 * K * N);
  return y;
}
