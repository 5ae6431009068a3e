/*
 * Elementwise kernels: each op is one WGSL expression; the generators below wrap it in a program
 * (unary on `v`, scalar operand `P.value`, binary on `p`, `q` with NumPy broadcasting).
 */
import type { GpuData, GpuKernel, WebGpuBackend } from '../backend.js';
import { type ProgramDef, variant } from '../shader.js';
import { broadcastStrides, collapseAxes, numel} from '../util.js';

// ------------------------------------------------------------------ unary and scalar

function unaryDef(name: string, expr: string): ProgramDef {
  return variant(name, () => ({ inputs: ['x'], outputs: ['y'], uniforms: { value: 'f32' }, work: 'element', body: `let v = x[i];\n  y[i] = select(${expr}, v, isNan(v));` }));
}

/**
 * Runs `y = expr(v)` (with `P.value` the scalar operand) over x. A NaN input gives NaN whatever the
 * expression (WGSL's exp/log are free to turn NaN into anything).
 */
export function unary(op: string, expr: string, gpu: WebGpuBackend, x: GpuData, n: number, value = 0): GpuData {
  const y = gpu.alloc(n, op);
  gpu.run(unaryDef(op, expr), [x], [y], { value }, n);
  return y;
}

type UnaryName = 'neg' | 'sqrt' | 'abs' | 'exp' | 'log' | 'relu' | 'sigmoid' | 'tanh';
const unaryKernel = <K extends UnaryName>(op: K, expr: string): GpuKernel<K> =>
  (({ x }: { x: { data: GpuData; shape: readonly number[] } }, _attrs: unknown, gpu: WebGpuBackend) =>
    unary(op, expr, gpu, x.data, numel(x.shape))) as unknown as GpuKernel<K>;

export const neg = unaryKernel('neg', '-v');
/** NaN below 0 (WGSL leaves sqrt of a negative indeterminate). */
export const sqrt = unaryKernel('sqrt', 'select(sqrt(v), nanValue(), v < 0.0)');
export const abs = unaryKernel('abs', 'abs(v)');
export const exp = unaryKernel('exp', 'exp(v)');
/** −Infinity at 0, NaN below 0 (WGSL leaves both indeterminate). */
export const log = unaryKernel('log', 'select(select(accurateLog(v), negInfinity(), v == 0.0), nanValue(), v < 0.0)');
/** max(x, 0) with NaN propagated (torch.relu). */
export const relu = unaryKernel('relu', 'select(0.0, v, v > 0.0 || isNan(v))');
/** 1 / (1 + e^−x), written so that neither branch overflows. */
export const sigmoid = unaryKernel('sigmoid', 'select(exp(v) / (1.0 + exp(v)), 1.0 / (1.0 + exp(-v)), v >= 0.0)');
/**
 * tanh through e^(−2|x|) ∈ (0, 1], exact in sign and never overflowing; below |x| = 2^−4 the
 * subtraction 1 − e^(−2|x|) cancels (1e−3 relative error at 1e−5), so the series
 * x − x³/3 + 2x⁵/15 is used there (the next term, 17x⁷/315, is under 4e−9 relative).
 */
export const tanh = unaryKernel(
  'tanh',
  'select(sign(v) * (1.0 - exp(-2.0 * abs(v))) / (1.0 + exp(-2.0 * abs(v))), v * (1.0 - v * v * (1.0 / 3.0 - v * v * (2.0 / 15.0))), abs(v) < 0.0625)',
);

type ScalarName = 'addScalar' | 'mulScalar' | 'rdivScalar' | 'maximumScalar' | 'minimumScalar';
const scalarKernel = <K extends ScalarName>(op: K, expr: string): GpuKernel<K> =>
  (({ x }: { x: { data: GpuData; shape: readonly number[] } }, { value }: { value: number }, gpu: WebGpuBackend) =>
    unary(op, expr, gpu, x.data, numel(x.shape), value)) as unknown as GpuKernel<K>;

export const addScalar = scalarKernel('addScalar', 'v + P.value');
export const mulScalar = scalarKernel('mulScalar', 'v * P.value');
export const rdivScalar = scalarKernel('rdivScalar', 'P.value / v');
export const maximumScalar = scalarKernel('maximumScalar', 'select(P.value, v, v > P.value || isNan(v))');
export const minimumScalar = scalarKernel('minimumScalar', 'select(P.value, v, v < P.value || isNan(v))');

const fillDef: ProgramDef = { name: 'fill', inputs: [], outputs: ['y'], uniforms: { value: 'f32' }, work: 'element', body: 'y[i] = P.value;' };
/** A new tensor filled with `value`. */
export const fill: GpuKernel<'fill'> = (_inputs, { value }, gpu, { y: shape }) => {
  const n = numel(shape);
  const y = gpu.alloc(n, 'fill');
  gpu.run(fillDef, [], [y], { value }, n);
  return y;
};

// ------------------------------------------------------------------ binary with broadcasting

function binaryDef(op: string, expr: string, sameShape: boolean): ProgramDef {
  return variant(`${op}${sameShape ? '' : '_broadcast'}`, () => sameShape
    ? { inputs: ['a', 'b'], outputs: ['y'], work: 'element', body: `let p = a[i];\n  let q = b[i];\n  y[i] = ${expr};` }
    : {
        inputs: ['a', 'b'], outputs: ['y'], work: 'element',
        uniforms: { rank: 'u32', shape: 'u32x8', aStrides: 'i32x8', bStrides: 'i32x8' },
        body: `let p = a[u32(offsetIn(i, P.rank, P.shape, P.aStrides))];\n  let q = b[u32(offsetIn(i, P.rank, P.shape, P.bStrides))];\n  y[i] = ${expr};`,
      });
}

/** Runs `y = expr(p, q)` over a and b broadcast to `outShape`. */
export function binary(
  op: string, expr: string, gpu: WebGpuBackend,
  a: { data: GpuData; shape: readonly number[] }, b: { data: GpuData; shape: readonly number[] }, outShape: readonly number[],
): GpuData {
  const n = numel(outShape);
  const y = gpu.alloc(n, op);
  const same = numel(a.shape) === n && numel(b.shape) === n;
  if (same) {
    gpu.run(binaryDef(op, expr, true), [a.data, b.data], [y], {}, n);
  } else {
    const c = collapseAxes(op, outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
    gpu.run(binaryDef(op, expr, false), [a.data, b.data], [y], { rank: c.shape.length, shape: c.shape, aStrides: c.strides[0]!, bStrides: c.strides[1]! }, n);
  }
  return y;
}

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
const binaryKernel = <K extends BinaryName>(op: K, expr: string): GpuKernel<K> =>
  (({ a, b }: Record<'a' | 'b', { data: GpuData; shape: readonly number[] }>, { outShape }: { outShape: number[] }, gpu: WebGpuBackend) =>
    binary(op, expr, gpu, a, b, outShape)) as unknown as GpuKernel<K>;

export const add = binaryKernel('add', 'p + q');
export const sub = binaryKernel('sub', 'p - q');
export const mul = binaryKernel('mul', 'p * q');
export const div = binaryKernel('div', 'p / q');
/** NaN propagates (torch.maximum / minimum). */
export const maximum = binaryKernel('maximum', 'select(q, p, p > q || isNan(p))');
export const minimum = binaryKernel('minimum', 'select(q, p, p < q || isNan(p))');

/** dx = dy where x > 0, else 0. */
export const reluBackward: GpuKernel<'reluBackward'> = ({ dy, x }, _attrs, gpu) =>
  binary('reluBackward', 'select(0.0, p, q > 0.0)', gpu, dy, x, x.shape);
