import { createCpuBackend, cpuKernels } from '@hypercolumn/backend-cpu';
import * as hc from '@hypercolumn/core';
import { beforeAll, expect, it } from 'vitest';

beforeAll(async () => {
  await hc.setBackend('cpu');
});

it('traces the kernels an op launches, with how each was resolved', () => {
  const x = hc.tensor([-1, 2, -3, 4], [2, 2]);
  const { result, launches } = hc.traceKernels(() => hc.relu(x));
  expect(launches).toEqual([{ kernel: 'relu', backend: 'cpu', route: 'native' }]);
  expect(Array.from(result.dataSync())).toEqual([0, 2, 0, 4]);
  // outside a trace nothing is recorded; nested traces both see inner launches
  const outer = hc.traceKernels(() => {
    const inner = hc.traceKernels(() => hc.relu(x));
    inner.result.dispose();
    return inner.launches.length;
  });
  expect(outer.result).toBe(1);
  expect(outer.launches.map((l) => l.kernel)).toEqual(['relu']);
  result.dispose();
  x.dispose();
});

it('records composite routes, and the launches made before a throw', async () => {
  const { relu: _dropped, ...rest } = cpuKernels;
  hc.registerBackend('norelu', () => createCpuBackend({ name: 'norelu', kernels: rest }), 0);
  try {
    await hc.setBackend('norelu');
    const x = hc.tensor([-1, 2], [2]);
    const { result, launches } = hc.traceKernels(() => hc.relu(x));
    expect(launches).toEqual([
      { kernel: 'relu', backend: 'norelu', route: 'composite' },
      { kernel: 'maximumScalar', backend: 'norelu', route: 'native' },
    ]);
    expect(Array.from(await result.data())).toEqual([0, 2]);
    result.dispose();
    const seen: hc.KernelLaunch[] = [];
    expect(() =>
      hc.traceKernels(() => {
        hc.relu(x).dispose();
        throw new Error('after the launch');
      }, seen),
    ).toThrow('after the launch');
    expect(seen.map((l) => l.kernel)).toEqual(['relu', 'maximumScalar']);
    x.dispose();
  } finally {
    await hc.setBackend('cpu');
    hc.removeBackend('norelu');
  }
});
