/**
 * Kernel resolution, shape inference and the compositions of composites.ts: each composition, run
 * on a backend that lacks the kernel, against the cpu backend's own kernel (itself tested against
 * float64 references in backend-cpu), on the same inputs; zero-element tensors never reach a kernel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuKernels, createCpuBackend } from '@hypercolumn/backend-cpu';
import * as hc from '../src/index.js';
import { COMPOSITES, conv2dGeometry, type KernelName, type Tensor } from '../src/index.js';
import { expectClose } from './helpers.js';

const gen = new hc.RandomGenerator(21);
const rand = (shape: number[], lo = -1, hi = 1, backend = 'cpu'): Tensor =>
  hc.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * gen.nextFloat()), shape, { backend });

type Sample = { inputs: Record<string, number[] | [number[], number, number]>; attrs: object; shape?: number[] };
const geometry = conv2dGeometry('conv2d', [2, 3, 6, 5], [4, 3, 3, 3], { padding: 1 });
/** Inputs (shape, or [shape, lo, hi]) and attributes for each composed kernel. */
const SAMPLES: Partial<Record<KernelName, Sample>> = {
  conv2dFused: { inputs: { x: [2, 3, 6, 5], w: [4, 3, 3, 3], b: [4] }, attrs: { geometry, activation: 'relu' } },
  batchNormInferenceFused: {
    inputs: { x: [2, 3, 4], mean: [3], variance: [[3], 0.1, 2], scale: [3], offset: [3] },
    attrs: { eps: 1e-5, activation: 'relu' },
  },
  batchNormInference: { inputs: { x: [2, 3, 2, 2], mean: [3], variance: [[3], 0.1, 2], scale: [3], offset: [3] }, attrs: { eps: 1e-3 } },
  frnTlu: { inputs: { x: [2, 3, 2, 3], eps: [[1], 1e-4, 1e-3], tau: [3], weight: [3], bias: [3] }, attrs: {} },
  tlu: { inputs: { x: [2, 3, 4], tau: [3] }, attrs: {} },
  linear: { inputs: { x: [5, 7], w: [3, 7], b: [3] }, attrs: {} },
  globalAvgPool: { inputs: { x: [2, 3, 4, 5] }, attrs: {} },
  addScalar: { inputs: { x: [7] }, attrs: { value: 0.25 } },
  mulScalar: { inputs: { x: [7] }, attrs: { value: -3 } },
  rdivScalar: { inputs: { x: [[7], 0.5, 2] }, attrs: { value: 2 } },
  maximumScalar: { inputs: { x: [7] }, attrs: { value: 0.1 } },
  minimumScalar: { inputs: { x: [7] }, attrs: { value: 0.1 } },
  neg: { inputs: { x: [7] }, attrs: {} },
  sub: { inputs: { a: [2, 3], b: [3] }, attrs: { outShape: [2, 3] } },
  abs: { inputs: { x: [7] }, attrs: {} },
  relu: { inputs: { x: [9] }, attrs: {} },
  sigmoid: { inputs: { x: [[9], -30, 30] }, attrs: {} },
  tanh: { inputs: { x: [[9], -5, 5] }, attrs: {} },
  broadcastTo: { inputs: { x: [3, 1] }, attrs: { shape: [2, 3, 4] } },
  fill: { inputs: {}, attrs: { value: 1.5 }, shape: [2, 3] },
  sgdStep: { inputs: { param: [4, 3], grad: [4, 3] }, attrs: { lr: 0.1, weightDecay: 0.01 } },
  sgdMomentumStep: {
    inputs: { param: [4, 3], grad: [4, 3], momentumBuffer: [4, 3] },
    attrs: { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01, nesterov: false },
  },
  adamStep: {
    inputs: { param: [4, 3], grad: [4, 3], m: [4, 3], v: [[4, 3], 0, 0.1] },
    attrs: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: true, step: 3 },
  },
  agcUnitClip: { inputs: { param: [[4, 3], -0.1, 0.1], grad: [4, 3] }, attrs: { units: 4, unitSize: 3, clipping: 0.5, eps: 1e-3 } },
};

const backendWithout = (name: string, missing: KernelName) => {
  const { [missing]: _gone, ...kernels } = cpuKernels;
  return createCpuBackend({ name, kernels });
};

describe('compositions', () => {
  beforeAll(() => hc.setBackend('cpu'));

  it('every composition has a sample here', () => {
    expect(Object.keys(COMPOSITES).filter((k) => !(k in SAMPLES))).toEqual([]);
  });

  for (const [kernel, sample] of Object.entries(SAMPLES) as [KernelName, Sample][]) {
    it(`${kernel}: composition on a backend without it equals cpu's kernel`, async () => {
      const name = `no-${kernel}`;
      hc.registerBackend(name, () => backendWithout(name, kernel), 0);
      try {
        const onCpu: Record<string, Tensor> = {};
        const onOther: Record<string, Tensor> = {};
        for (const [arg, spec] of Object.entries(sample.inputs)) {
          const [shape, lo, hi] = Array.isArray(spec[0]) ? (spec as [number[], number, number]) : [spec as number[], -1, 1];
          onCpu[arg] = rand(shape, lo, hi);
          onOther[arg] = hc.tensor(onCpu[arg]!.dataSync(), shape, { backend: name });
        }
        const info = (await hc.listBackends()).find((b) => b.name === name)!;
        expect(info.resolution[kernel]).toBe('composite');
        const placementOf = (backend: string) => ({ backend: hcBackend(backend), shape: sample.shape });
        const want = hc.runKernel(kernel, onCpu, sample.attrs as never, placementOf('cpu'));
        hc.resetLaunchCounts();
        const got = hc.runKernel(kernel, onOther, sample.attrs as never, placementOf(name));
        const counts = hc.launchCounts()[name];
        // the composition ran other kernels on the same backend (fill may be a plain upload)
        if (kernel !== 'fill') expect(counts?.launches ?? 0).toBeGreaterThan(0);
        expect(counts?.kernels[kernel]).toBeUndefined();
        expect(got.length).toBe(want.length);
        got.forEach((t, i) => {
          expect(t.backend).toBe(name);
          expect(t.shape).toEqual(want[i]!.shape);
          expectClose(t.dataSync(), want[i]!.dataSync(), 1e-4, 1e-6);
        });
        for (const t of [...Object.values(onCpu), ...Object.values(onOther), ...want, ...got]) t.dispose();
      } finally {
        hc.removeBackend(name);
      }
    });
  }

  it('leaves no intermediate tensor behind', () => {
    expect(hc.memory().numTensors).toBe(0);
  });
});

/** The started backend instance by name (runKernel takes the instance for input-less kernels). */
function hcBackend(name: string) {
  const t = hc.tensor([0], [1], { backend: name });
  const backend = t.storage.backend;
  t.dispose();
  return backend;
}

describe('shape inference and zero-element tensors', () => {
  const calls: string[] = [];
  beforeAll(async () => {
    const spied = Object.fromEntries(
      Object.entries(cpuKernels).map(([k, f]) => [k, (...args: unknown[]) => (calls.push(k), (f as (...a: unknown[]) => unknown)(...args))]),
    );
    hc.registerBackend('spy', () => createCpuBackend({ name: 'spy', kernels: spied as typeof cpuKernels }), 0);
    await hc.setBackend('spy');
  });
  afterAll(async () => {
    await hc.setBackend('cpu');
    hc.removeBackend('spy');
  });

  it('kernels receive every output shape from core (statistics shapes as written in kernels.ts)', () => {
    const seen: Record<string, unknown> = {};
    const { groupNorm, frn } = cpuKernels;
    hc.registerBackend('shapes', () =>
      createCpuBackend({
        name: 'shapes',
        kernels: {
          ...cpuKernels,
          groupNorm: (i, a, b, s) => ((seen.groupNorm = s), groupNorm!(i, a, b, s)),
          frn: (i, a, b, s) => ((seen.frn = s), frn!(i, a, b, s)),
        },
      }),
    0);
    const x = hc.tensor(new Float32Array(2 * 4 * 3), [2, 4, 3], { backend: 'shapes' });
    hc.groupNorm(x, 2).dispose();
    hc.frn(x).dispose();
    expect(seen.groupNorm).toEqual({ y: [2, 4, 3], mean: [2, 2], variance: [2, 2] });
    expect(seen.frn).toEqual({ y: [2, 4, 3], nu2: [2, 4] });
    x.dispose();
    hc.removeBackend('shapes');
  });

  it('zero-element inputs and outputs never reach a kernel; sums over nothing are 0, means NaN', () => {
    calls.length = 0;
    const empty = hc.zeros([0, 3]);
    const w = hc.ones([2, 3]), b = hc.tensor([1, -2], [2]);
    const y = hc.relu(empty);
    expect(y.shape).toEqual([0, 3]);
    expect(Array.from(y.dataSync())).toEqual([]);
    const s = hc.sum(empty, 0);
    expect(Array.from(s.dataSync())).toEqual([0, 0, 0]);
    const m = hc.mean(empty, 0);
    expect(m.dataSync().every(Number.isNaN)).toBe(true);
    const lin = hc.linear(hc.zeros([4, 0]), hc.zeros([2, 0]), b);
    expect(Array.from(lin.dataSync())).toEqual([1, -2, 1, -2, 1, -2, 1, -2]);
    const emptyBatch = hc.linear(empty, w, b);
    expect(emptyBatch.shape).toEqual([0, 2]);
    // only fill/add/mul (making the non-empty results) ran; no kernel saw a zero-element tensor
    expect(calls.filter((k) => !['fill', 'add', 'mul', 'mulScalar'].includes(k))).toEqual([]);
    for (const t of [empty, w, b, y, s, m, lin, emptyBatch]) t.dispose();
    expect(hc.memory().backends.spy?.bytes ?? 0).toBe(0);
  });
});
