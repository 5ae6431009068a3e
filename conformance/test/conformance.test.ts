/**
 * The conformance suite on cpu with the ONNX Runtime oracle (quick table, one `it` per op row), ONNX
 * Runtime itself against the float64 reference, and the runner's own behaviour. The float64
 * reference against hand-computed values is tested in conformance/core.
 */
import '@hypercolumn/backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { conformanceProblems } from '@hypercolumn/conformance-core/vitest';
import { buildCases, caseValues, compareArrays, OPS, rowOf, runConformance, runOnnx } from '../src/index.js';
import type { ConformanceResult } from '../src/types.js';

describe('ONNX Runtime oracle against the float64 reference', () => {
  const cases = buildCases({ quick: true }).filter((c) => c.references.includes('onnxruntime'));
  const ops = [...new Set(cases.map((c) => c.op))];
  // sessions stay cached: the cpu run below reuses them
  it.each(ops)('%s', async (op) => {
    const failures: string[] = [];
    for (const c of cases.filter((k) => k.op === op)) {
      const v = caseValues(c);
      const call = OPS[op].onnx!(v.f64, c.attrs);
      if (typeof call === 'string') continue;
      const refs = OPS[op].reference(v.f64, c.attrs);
      const outs = await runOnnx(call.node, call.feeds);
      const cmp = compareArrays(outs[0].data, refs[0].data, refs[0].magnitude.data);
      if (outs[0].shape.join() !== refs[0].shape.join()) failures.push(`${c.id}: shape [${outs[0].shape}] vs [${refs[0].shape}]`);
      else if (!cmp.ok) failures.push(`${c.id}: ${cmp.message}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('conformance on cpu (quick table)', () => {
  let result: ConformanceResult;
  beforeAll(async () => {
    result = await runConformance({ quick: true, backends: ['cpu'] });
  }, 120_000);
  const rows = [...new Set(buildCases({ quick: true }).map(rowOf))];

  it.each(rows)('%s', (row) => {
    const mine = result.cases.filter((r) => r.op === row);
    expect(mine.length).toBeGreaterThan(0);
    const bad = mine.filter((r) => r.status !== 'pass').map((r) => `${r.id} [${r.reference}] ${r.status}: ${r.message ?? ''}`);
    expect(bad).toEqual([]);
  });

  it('leaves no live tensors behind', () => {
    expect(result.cases.filter((r) => r.op === 'memory').map((r) => r.message)).toEqual([]);
  });

  it('builds the backend × op matrix', () => {
    expect(Object.keys(result.matrix)).toEqual(['cpu']);
    expect(Object.keys(result.matrix.cpu)).toEqual(expect.arrayContaining(rows));
  });
});

describe('the runner itself', () => {
  /** A backend that runs cpu's kernels (minus `drop`, plus `extra`) behind its own name and hooks. */
  async function cpuLike(name: string, opts: { drop?: string[]; extra?: Record<string, unknown>; readSync?: boolean; memory?: () => { bytes: number } } = {}) {
    const { createCpuBackend, cpuKernels } = await import('@hypercolumn/backend-cpu');
    const cpu = createCpuBackend();
    const table: Record<string, unknown> = {};
    for (const [k, impl] of Object.entries({ ...cpuKernels, ...opts.extra })) {
      if (!opts.drop?.includes(k)) table[k] = (i: never, a: never, _b: never, s: never) => (impl as (...args: unknown[]) => unknown)(i, a, cpu, s);
    }
    return {
      name,
      kernels: table as never,
      write: (v: Float32Array, shape: readonly number[]) => cpu.write(v, shape as number[]),
      read: (d: Float32Array, n: number) => cpu.read(d, n),
      ...(opts.readSync === false ? {} : { readSync: (d: Float32Array, n: number) => cpu.readSync(d, n) }),
      free: (d: Float32Array) => cpu.free(d),
      ...(opts.memory ? { memory: opts.memory } : {}),
    };
  }

  it('reports a wrong kernel as fail, a missing kernel as fallback, with traced kernels and routes', async () => {
    const { cpuKernels } = await import('@hypercolumn/backend-cpu');
    const { registerBackend, removeBackend } = await import('@hypercolumn/core');
    // relu that forgets to clamp: y = x
    const identityRelu: typeof cpuKernels.relu = ({ x }) => Float32Array.from(x.data as Float32Array);
    const faulty = await cpuLike('faulty', { drop: ['avgPool2d'], extra: { relu: identityRelu } });
    registerBackend('faulty', () => faulty, 0);
    try {
      const r = await runConformance({ backends: ['faulty'], ops: ['relu', 'avgPool2d', 'avgPool2dBackward'], quick: true });
      expect(r.ok).toBe(false);
      expect(r.matrix.faulty.relu.status).toBe('fail');
      expect(r.matrix.faulty.relu.passed).toBe(0);
      expect(r.matrix.faulty.relu.route).toBe('native');
      expect(r.matrix.faulty.avgPool2d.status).toBe('fallback');
      expect(r.matrix.faulty.avgPool2d.route).toBe('fallback');
      expect(r.matrix.faulty.avgPool2d.passed).toBe(r.matrix.faulty.avgPool2d.cases);
      const pool = r.cases.find((c) => c.op === 'avgPool2d')!;
      expect(pool.fallbackKernels).toEqual(['avgPool2d']);
      expect(pool.kernels).toEqual({ avgPool2d: 'fallback' });
      // backward: the traced list holds the forward kernel, its backward kernel and the loss's kernels
      const back = r.cases.find((c) => c.op === 'avgPool2dBackward')!;
      expect(back.kernels).toMatchObject({ avgPool2d: 'fallback', avgPool2dBackward: 'native', mul: 'native', sum: 'native' });
      expect(back.status).toBe('fallback');
      expect(conformanceProblems(r.cases.filter((c) => c.op !== 'relu'), false).length).toBeGreaterThan(0);
      expect(conformanceProblems(r.cases.filter((c) => c.op !== 'relu'), ['avgPool2d'])).toEqual([]);
    } finally {
      removeBackend('faulty');
    }
  });

  it('fails a gradient off by 1e-3 of itself and a gradient routed where its window has no input', async () => {
    const { cpuKernels } = await import('@hypercolumn/backend-cpu');
    const { registerBackend, removeBackend } = await import('@hypercolumn/core');
    const gn = cpuKernels.groupNormBackward as (...args: unknown[]) => Float32Array[];
    // dweight 0.1 % too large: a gradient's magnitude counts its terms, but not beyond what float32 needs
    const dweightOff = (...args: unknown[]) => {
      const [dx, dweight, dbias] = gn(...args);
      return [dx, Float32Array.from(dweight!, (v) => v * 1.001), dbias];
    };
    // every dy also lands on x's first element: what routing an empty max-pool window there does
    const mp = cpuKernels.maxPool2dBackward as (...args: unknown[]) => Float32Array;
    const routesToFirst = (...args: unknown[]) => {
      const dx = mp(...args);
      const dy = (args[0] as { dy: { data: Float32Array } }).dy.data;
      dx[0] += dy.reduce((a, b) => a + b, 0);
      return dx;
    };
    const faulty = await cpuLike('faulty-grads', { extra: { groupNormBackward: dweightOff, maxPool2dBackward: routesToFirst } });
    registerBackend('faulty-grads', () => faulty, 0);
    try {
      const r = await runConformance({ backends: ['faulty-grads'], ops: ['groupNormBackward', 'maxPool2dBackward'], quick: true });
      expect(r.matrix['faulty-grads'].groupNormBackward.status).toBe('fail');
      const affine = r.cases.filter((c) => c.op === 'groupNormBackward' && c.message?.includes('d/dweight'));
      expect(affine.length).toBeGreaterThan(0);
      expect(r.matrix['faulty-grads'].maxPool2dBackward.passed).toBe(0);
    } finally {
      removeBackend('faulty-grads');
    }
  });

  it('layer-sized backward cases check a sample of each gradient, its last element always in it, and name that element', async () => {
    const { cpuKernels } = await import('@hypercolumn/backend-cpu');
    const { registerBackend, removeBackend } = await import('@hypercolumn/core');
    const layer = buildCases({ quick: true }).find((c) => c.id === 'conv2dBackward/layer#0')!;
    expect(layer.fdSample).toBeGreaterThan(0);
    const wSize = layer.inputs.w!.shape.reduce((a, b) => a * b, 1);
    expect(wSize).toBeGreaterThan(layer.fdSample! * 4);
    // the filter gradient 1 % off in its last element only: a remainder a tiled kernel got wrong
    const filterGrad = cpuKernels.conv2dBackpropFilter as (...args: unknown[]) => Float32Array;
    const lastOff = (...args: unknown[]) => {
      const dw = filterGrad(...args);
      dw[dw.length - 1] += 0.01 * dw.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      return dw;
    };
    const faulty = await cpuLike('faulty-last-element', { extra: { conv2dBackpropFilter: lastOff } });
    registerBackend('faulty-last-element', () => faulty, 0);
    try {
      const r = await runConformance({ backends: ['faulty-last-element'], ops: ['conv2dBackward'], quick: true });
      const got = r.cases.find((c) => c.id === layer.id)!;
      expect(got.status).toBe('fail');
      expect(got.message).toContain(`d/dw: element ${wSize - 1}:`);
    } finally {
      removeBackend('faulty-last-element');
    }
  });

  it('reports a kernel composed in core as composite, and one without any route (no kernel, no composition, no synchronous read) as missing (maxPool2d has no composition)', async () => {
    const { registerBackend, removeBackend } = await import('@hypercolumn/core');
    const noRead = await cpuLike('noread', { drop: ['relu', 'maxPool2d'], readSync: false });
    registerBackend('noread', () => noRead, 0);
    try {
      const r = await runConformance({ backends: ['noread'], ops: ['relu', 'maxPool2d'], quick: true });
      expect(r.ok).toBe(false);
      expect(r.matrix.noread.relu.status).toBe('pass');
      expect(r.matrix.noread.relu.route).toBe('composite');
      expect(r.cases.find((c) => c.op === 'relu')!.kernels).toEqual({ relu: 'composite', maximumScalar: 'native' });
      expect(r.matrix.noread.maxPool2d.status).toBe('missing');
      expect(r.matrix.noread.maxPool2d.route).toBe('missing');
      const pool = r.cases.find((c) => c.op === 'maxPool2d')!;
      expect(pool.kernels).toEqual({ maxPool2d: 'missing' });
      expect(pool.message).toMatch(/no route for kernel maxPool2d/);
    } finally {
      removeBackend('noread');
    }
  });

  it('runs the whole quick table on a backend with opaque handles, deferred reads and no synchronous read', async () => {
    const { createCpuBackend, cpuKernels } = await import('@hypercolumn/backend-cpu');
    const { registerBackend, removeBackend } = await import('@hypercolumn/core');
    const cpu = createCpuBackend();
    type Handle = { values: Float32Array | null };
    const live = (h: Handle) => {
      if (!h.values) throw new Error('use after free');
      return h.values;
    };
    const wrap = (out: unknown): unknown => (Array.isArray(out) ? out.map(wrap) : { values: out as Float32Array });
    const kernels: Record<string, unknown> = {};
    for (const [k, impl] of Object.entries(cpuKernels)) {
      kernels[k] = (inputs: Record<string, { data: Handle; shape: number[] }>, attrs: never, _b: never, shapes: never) => {
        const plain = Object.fromEntries(Object.entries(inputs).map(([n, t]) => [n, { data: live(t.data), shape: t.shape }]));
        return wrap((impl as (...args: unknown[]) => unknown)(plain, attrs, cpu, shapes));
      };
    }
    let held = 0;
    registerBackend('opaque', () => ({
      name: 'opaque',
      kernels: kernels as never,
      write: (v: Float32Array) => ((held += v.length * 4), { values: v.slice() }),
      read: (h: Handle, n: number) => new Promise<Float32Array>((resolve, reject) => setTimeout(() => (h.values ? resolve(h.values.slice(0, n)) : reject(new Error('read after free'))), 0)),
      free: (h: Handle) => {
        live(h);
        h.values = null;
      },
    }), 0);
    try {
      const r = await runConformance({ backend: 'opaque', quick: true });
      const bad = r.cases.filter((c) => c.status !== 'pass');
      expect(bad.map((c) => `${c.id} [${c.reference}] ${c.status}: ${c.message}`)).toEqual([]);
      expect(new Set(r.cases.map((c) => c.route))).toEqual(new Set(['native']));
      expect(held).toBeGreaterThan(0);
    } finally {
      removeBackend('opaque');
    }
  });

  it('counts bytes the backend holds itself: growth on every run is a leak, a cache filling once is not', async () => {
    const { cpuKernels } = await import('@hypercolumn/backend-cpu');
    const { registerBackend, removeBackend } = await import('@hypercolumn/core');
    let leaked = 0;
    let cached = 0;
    const leaky = await cpuLike('leaky', {
      extra: { relu: (...args: unknown[]) => ((leaked += 64), (cpuKernels.relu as (...a: unknown[]) => unknown)(...args)) },
      memory: () => ({ bytes: leaked }),
    });
    const caching = await cpuLike('caching', {
      extra: { relu: (...args: unknown[]) => ((cached = 4096), (cpuKernels.relu as (...a: unknown[]) => unknown)(...args)) },
      memory: () => ({ bytes: cached }),
    });
    registerBackend('leaky', () => leaky, 0);
    registerBackend('caching', () => caching, 0);
    try {
      const r = await runConformance({ backends: ['leaky', 'caching'], ops: ['relu'], quick: true });
      expect(r.matrix.leaky.relu.status).toBe('fail');
      expect(r.cases.find((c) => c.backend === 'leaky')!.message).toMatch(/backend holds 64 bytes more after each run/);
      expect(r.matrix.caching.relu.status).toBe('pass');
    } finally {
      removeBackend('leaky');
      removeBackend('caching');
    }
  });

  it('fails the run for a named backend that is not there, with the reason; runs without an oracle', async () => {
    const r = await runConformance({ backends: ['cpu', 'nope'], ops: ['relu'], quick: true, oracle: undefined });
    expect(r.ok).toBe(false);
    expect(r.backends.find((b) => b.name === 'nope')).toMatchObject({ available: false, tested: false, required: true, reason: expect.stringMatching(/not registered/) });
    expect(r.matrix.cpu.relu.status).toBe('pass');
    expect(r.matrix.nope.relu.status).toBe('missing');
    expect(r.references).not.toContain('onnxruntime');
    expect(r.cases.filter((c) => c.backend === 'cpu').map((c) => c.reference)).not.toContain('onnxruntime');
    const withOracle = await runConformance({ backend: 'cpu', ops: ['relu'], quick: true });
    expect(withOracle.ok).toBe(true);
    expect(withOracle.cases.map((c) => c.reference)).toContain('onnxruntime');
  });
});
