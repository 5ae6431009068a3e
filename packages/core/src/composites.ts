/**
 * Compositions: each kernel a backend may lack, built once here from other kernels on the SAME
 * backend (no copies). A backend that implements the fused or scalar kernels is faster; one that
 * does not still runs every op. `uses` lists every kernel a composition may run: the composition
 * is chosen only when each of them resolves on the backend (natively or by composition).
 *
 * Compositions work on tensors through `runKernel`, inside a `scope` that disposes intermediates,
 * and never read a value back.
 */
import type { Backend } from './backend.js';
import { runKernel, scope } from './engine.js';
import type { KernelAttrs, KernelName } from './kernels.js';
import { Storage, Tensor } from './tensor.js';

type Shape = readonly number[];
/** Kernel inputs by name (absent optional inputs undefined). */
export type CompositeInputs = Readonly<Record<string, Tensor | undefined>>;

export interface Composite<K extends KernelName> {
  uses: readonly KernelName[];
  /** Builds the outputs (fresh tensors of `shapes`, in the contract's order) on `backend`. */
  run(inputs: CompositeInputs, attrs: KernelAttrs<K>, shapes: readonly Shape[], backend: Backend<any>): Tensor[];
}
type CompositeTable = { [K in KernelName]?: Composite<K> };

// ---------------------------------------------------------------- small helpers (kernel calls)

const one = (name: KernelName, inputs: CompositeInputs, attrs: object): Tensor => runKernel(name, inputs, attrs as never)[0]!;

/** NumPy broadcast of two shapes already known to be compatible. */
function broadcast(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const da = a[a.length - rank + i] ?? 1, db = b[b.length - rank + i] ?? 1;
    return da === 1 ? db : da;
  });
}
const binary = (name: 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum') => (a: Tensor, b: Tensor): Tensor =>
  one(name, { a, b }, { outShape: broadcast(a.shape, b.shape) });
const add = binary('add'), sub = binary('sub'), mul = binary('mul'), div = binary('div'), maximum = binary('maximum');
const withScalar = (name: 'addScalar' | 'mulScalar' | 'rdivScalar' | 'maximumScalar' | 'minimumScalar') => (x: Tensor, value: number): Tensor =>
  one(name, { x }, { value });
const addScalar = withScalar('addScalar'), mulScalar = withScalar('mulScalar'), rdivScalar = withScalar('rdivScalar');
const maximumScalar = withScalar('maximumScalar'), minimumScalar = withScalar('minimumScalar');
const unary = (name: 'neg' | 'sqrt' | 'exp' | 'relu' | 'sigmoid') => (x: Tensor): Tensor => one(name, { x }, {});
const neg = unary('neg'), sqrt = unary('sqrt'), exp = unary('exp'), relu = unary('relu'), sigmoid = unary('sigmoid');
/** A constant of `shape` on `backend`. */
const constant = (backend: Backend<any>, value: number, shape: Shape = []): Tensor =>
  runKernel('fill', {}, { value }, { backend, shape })[0]!;
/** Sum over `axes`, keeping them as 1. */
const sumKeep = (x: Tensor, axes: number[]): Tensor => one('sum', { x }, { axes, outShape: x.shape.map((s, i) => (axes.includes(i) ? 1 : s)) });
/** A [C] tensor as [1, C, 1, …] to broadcast over an [N, C, …] tensor of `rank`. */
const perChannel = (t: Tensor, rank: number): Tensor => Tensor.view(t, [1, t.size, ...new Array<number>(rank - 2).fill(1)]);
const activate = (y: Tensor, activation: 'none' | 'relu'): Tensor => (activation === 'relu' ? relu(y) : y);

/** Runs `fn` with its intermediates disposed; the returned tensors survive. */
const composed = (fn: () => Tensor[]): Tensor[] => scope(fn);

// ---------------------------------------------------------------- the table

const SCALAR_BINARY = { addScalar: 'add', mulScalar: 'mul', maximumScalar: 'maximum', minimumScalar: 'minimum' } as const;
const scalarComposite = (name: keyof typeof SCALAR_BINARY): Composite<typeof name> => ({
  uses: [SCALAR_BINARY[name], 'fill'],
  run: ({ x }, { value }, _s, backend) => composed(() => [binary(SCALAR_BINARY[name])(x!, constant(backend, value))]),
});

export const COMPOSITES: CompositeTable = {
  conv2dFused: {
    uses: ['conv2d', 'relu'],
    run: ({ x, w, b }, { geometry, activation }) =>
      composed(() => [activate(one('conv2d', { x, w, b }, { geometry }), activation)]),
  },
  batchNormInferenceFused: {
    uses: ['batchNormInference', 'relu'],
    run: (inputs, { eps, activation }) => composed(() => [activate(one('batchNormInference', inputs, { eps }), activation)]),
  },
  frnTlu: {
    uses: ['frn', 'tlu'],
    run: ({ x, eps, tau, weight, bias }) =>
      composed(() => {
        const [y] = runKernel('frn', { x, eps, weight, bias }, {});
        return [one('tlu', { x: y, tau }, {})];
      }),
  },
  /** (x − mean)·scale/√(variance + eps) + offset, per channel. */
  batchNormInference: {
    uses: ['addScalar', 'sqrt', 'rdivScalar', 'mul', 'sub', 'add'],
    run: ({ x, mean, variance, scale, offset }, { eps }) =>
      composed(() => {
        const rank = x!.rank;
        let a = rdivScalar(sqrt(addScalar(variance!, eps)), 1);
        if (scale) a = mul(a, scale);
        let y = mul(sub(x!, perChannel(mean!, rank)), perChannel(a, rank));
        if (offset) y = add(y, perChannel(offset, rank));
        return [y];
      }),
  },
  tlu: {
    uses: ['maximum'],
    run: ({ x, tau }) => composed(() => [maximum(x!, perChannel(tau!, x!.rank))]),
  },
  /** y = x·wᵀ + b. */
  linear: {
    uses: ['matMul', 'add'],
    run: ({ x, w, b }) =>
      composed(() => {
        const y = one('matMul', { a: x, b: w }, { transposeA: false, transposeB: true });
        return [b ? add(y, b) : y];
      }),
  },
  globalAvgPool: {
    uses: ['sum', 'mulScalar'],
    run: ({ x }) =>
      composed(() => {
        const axes = x!.shape.slice(2).map((_, i) => i + 2);
        return [mulScalar(sumKeep(x!, axes), 1 / (x!.size / (x!.shape[0]! * x!.shape[1]!)))];
      }),
  },
  addScalar: scalarComposite('addScalar'),
  mulScalar: scalarComposite('mulScalar'),
  maximumScalar: scalarComposite('maximumScalar'),
  minimumScalar: scalarComposite('minimumScalar'),
  rdivScalar: {
    uses: ['div', 'fill'],
    run: ({ x }, { value }, _s, backend) => composed(() => [div(constant(backend, value), x!)]),
  },
  neg: { uses: ['mulScalar'], run: ({ x }) => composed(() => [mulScalar(x!, -1)]) },
  sub: { uses: ['add', 'neg'], run: ({ a, b }) => composed(() => [add(a!, neg(b!))]) },
  abs: { uses: ['maximum', 'neg'], run: ({ x }) => composed(() => [maximum(x!, neg(x!))]) },
  relu: { uses: ['maximumScalar'], run: ({ x }) => composed(() => [maximumScalar(x!, 0)]) },
  /** 1/(1 + e^−x): exact limits 0 and 1 (e^−x overflows to ∞ → 1/∞ = 0). */
  sigmoid: {
    uses: ['neg', 'exp', 'addScalar', 'rdivScalar'],
    run: ({ x }) => composed(() => [rdivScalar(addScalar(exp(neg(x!)), 1), 1)]),
  },
  /** 2σ(2x) − 1: no overflow for large |x| (absolute error ~1e-7 near 0, within the tolerance of §3). */
  tanh: {
    uses: ['mulScalar', 'sigmoid', 'addScalar'],
    run: ({ x }) => composed(() => [addScalar(mulScalar(sigmoid(mulScalar(x!, 2)), 2), -1)]),
  },
  /** x·1 broadcast (×1 keeps −0 and NaN, unlike + 0). */
  broadcastTo: {
    uses: ['mul', 'fill'],
    run: ({ x }, { shape }, _s, backend) => composed(() => [mul(x!, constant(backend, 1, shape))]),
  },
  /** The last resort: a filled host array uploaded once. */
  fill: {
    uses: [],
    run: (_i, { value }, [shape], backend) => {
      const n = shape!.reduce((a, b) => a * b, 1);
      return [Tensor.fromStorage(Storage.upload(backend, new Float32Array(n).fill(value), shape!), shape!)];
    },
  },

  // optimizer steps (PyTorch update rules; see kernels.ts)
  sgdStep: {
    uses: ['mulScalar', 'add', 'sub'],
    run: ({ param, grad }, { lr, weightDecay }) =>
      composed(() => {
        const g = weightDecay !== 0 ? add(grad!, mulScalar(param!, weightDecay)) : grad!;
        return [sub(param!, mulScalar(g, lr))];
      }),
  },
  sgdMomentumStep: {
    uses: ['mulScalar', 'add', 'sub'],
    run: ({ param, grad, momentumBuffer }, { lr, momentum, dampening, weightDecay, nesterov }) =>
      composed(() => {
        const d = weightDecay !== 0 ? add(grad!, mulScalar(param!, weightDecay)) : grad!;
        // first step: the buffer is the gradient itself (a copy: ×1 is exact, −0 and NaN included)
        const buf = momentumBuffer
          ? add(mulScalar(momentumBuffer, momentum), dampening !== 0 ? mulScalar(d, 1 - dampening) : d)
          : mulScalar(d, 1);
        const step = nesterov ? add(d, mulScalar(buf, momentum)) : buf;
        return [sub(param!, mulScalar(step, lr)), buf];
      }),
  },
  adamStep: {
    uses: ['mulScalar', 'add', 'mul', 'sqrt', 'addScalar', 'div', 'sub'],
    run: ({ param, grad, m, v }, { lr, beta1, beta2, eps, weightDecay, decoupled, step }) =>
      composed(() => {
        let p = param!, g = grad!;
        if (weightDecay !== 0) {
          if (decoupled) p = mulScalar(p, 1 - lr * weightDecay);
          else g = add(g, mulScalar(p, weightDecay));
        }
        const m1 = add(mulScalar(m!, beta1), mulScalar(g, 1 - beta1));
        const v1 = add(mulScalar(v!, beta2), mulScalar(mul(g, g), 1 - beta2));
        const bias1 = 1 - beta1 ** step, bias2 = 1 - beta2 ** step;
        const denom = addScalar(mulScalar(sqrt(v1), 1 / Math.sqrt(bias2)), eps);
        return [sub(p, mulScalar(div(m1, denom), lr / bias1)), m1, v1];
      }),
  },
  /**
   * scale_u = min(1, maxNorm_u / max(‖G_u‖, 1e-6)). Equal to the contract's rule except where
   * ‖G_u‖ ≤ maxNorm_u < 1e-6 (only possible with clipping·eps < 1e-6), where it shrinks G_u slightly
   * instead of leaving it: telling the two apart needs a comparison kernel the contract does not have.
   */
  agcUnitClip: {
    uses: ['mul', 'sum', 'sqrt', 'maximumScalar', 'mulScalar', 'div', 'minimumScalar'],
    run: ({ param, grad }, { units, unitSize, clipping, eps }, [shape]) =>
      composed(() => {
        const p = Tensor.view(param!, [units, unitSize]), g = Tensor.view(grad!, [units, unitSize]);
        const norm = (t: Tensor) => sqrt(sumKeep(mul(t, t), [1]));
        const maxNorm = mulScalar(maximumScalar(norm(p), eps), clipping);
        const scale = minimumScalar(div(maxNorm, maximumScalar(norm(g), 1e-6)), 1);
        return [Tensor.view(mul(g, scale), shape!)];
      }),
  },
};
