/**
 * The conformance suite on cpu with the ONNX Runtime oracle (quick table, one `it` per op row), ONNX
 * Runtime itself against the float64 reference, and the runner's own behaviour. The float64
 * reference against hand-computed values is tested in conformance/core.
 */
import '@hypercolumn/backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
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
  it('reports a wrong kernel as fail, a missing kernel as fallback, and the matrix says so', async () => {
    const { createCpuBackend, cpuKernels } = await import('@hypercolumn/backend-cpu');
    const { registerBackend, removeBackend } = await import('@hypercolumn/core');
    const { avgPool2d: _dropped, ...rest } = cpuKernels;
    // relu that forgets to clamp: y = x
    const identityRelu: typeof cpuKernels.relu = ({ x }) => ({ data: Float32Array.from(x.data as Float32Array), shape: [...x.shape] });
    registerBackend('faulty', () => createCpuBackend({ name: 'faulty', kernels: { ...rest, relu: identityRelu } }), 0);
    try {
      const r = await runConformance({ backends: ['faulty'], ops: ['relu', 'avgPool2d'], quick: true });
      expect(r.ok).toBe(false);
      expect(r.matrix.faulty.relu.status).toBe('fail');
      expect(r.matrix.faulty.relu.passed).toBe(0);
      expect(r.matrix.faulty.avgPool2d.status).toBe('fallback');
      expect(r.matrix.faulty.avgPool2d.passed).toBe(r.matrix.faulty.avgPool2d.cases);
      expect(r.cases.find((c) => c.op === 'avgPool2d')?.fallbackKernels).toEqual(['avgPool2d']);
    } finally {
      removeBackend('faulty');
    }
  });
});
