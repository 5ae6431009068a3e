/**
 * The fuzzer's bad classes fire on faulty backends (so zero findings on a real one means something):
 * a kernel that writes into its input, a wrong kernel, and reads that never settle (an awaited hang).
 */
import { cpuKernels, createCpuBackend } from '@hypercolumn/backend-cpu';
import * as hc from '@hypercolumn/core';
import { fuzz } from '@hypercolumn/conformance-core';
import { afterAll, describe, expect, it } from 'vitest';

/** cpu's kernels behind another name, with `extra` replacing some, and `read` replaceable. */
function cpuLike(name: string, extra: Record<string, unknown>, read?: () => Promise<Float32Array>): hc.Backend<Float32Array> {
  const cpu = createCpuBackend();
  const table: Record<string, unknown> = {};
  for (const [k, impl] of Object.entries({ ...cpuKernels, ...extra })) table[k] = (i: never, a: never, _b: never, s: never) => (impl as (...args: unknown[]) => unknown)(i, a, cpu, s);
  return {
    name,
    kernels: table as never,
    write: (v, shape) => cpu.write(v, shape as number[]),
    read: read ?? ((d, n) => cpu.read(d, n)),
    free: (d) => cpu.free(d),
  };
}

const registered: string[] = [];
function register(name: string, backend: hc.Backend<Float32Array>): string {
  hc.registerBackend(name, () => backend, -10);
  registered.push(name);
  return name;
}
afterAll(() => registered.forEach((n) => hc.removeBackend(n)));

describe('the fuzzer finds what is wrong', () => {
  it('a kernel that changes its input: wrong-result naming the changed argument', async () => {
    const relu: typeof cpuKernels.relu = (inputs, ...rest) => {
      const y = cpuKernels.relu!(inputs, ...rest);
      (inputs.x.data as Float32Array)[0] = 42; // in place, behind the caller's back
      return y;
    };
    const report = await fuzz({ backend: register('fuzz-mutating', cpuLike('fuzz-mutating', { relu })), seed: 5, calls: 600, timeBudgetMs: 60_000 });
    expect(report.findings.some((f) => f.api === 'relu' && f.outcome === 'wrong-result' && /changed the caller's x\[0\]: .* became 42/.test(f.detail))).toBe(true);
  });

  it('a wrong kernel: wrong-result against the float64 reference', async () => {
    const conv2d: typeof cpuKernels.conv2d = (...args) => {
      const y = cpuKernels.conv2d!(...args) as Float32Array;
      y[0]! += 1; // off by one in the first output
      return y;
    };
    const report = await fuzz({ backend: register('fuzz-wrong', cpuLike('fuzz-wrong', { conv2d })), seed: 6, calls: 400, timeBudgetMs: 60_000 });
    expect(report.findings.some((f) => f.api === 'conv2d' && f.outcome === 'wrong-result' && /output 0\[0\]: got .*, reference/.test(f.detail))).toBe(true);
  });

  it('a read that never settles: a hang within hangMs, and the run stops there', async () => {
    // hangMs well above a legal call's time on a loaded 2-core CI machine (a slow call also counts as a hang)
    const report = await fuzz({ backend: register('fuzz-stuck', cpuLike('fuzz-stuck', {}, () => new Promise(() => {}))), seed: 7, calls: 200, hangMs: 2000, timeBudgetMs: 60_000 });
    expect(report.findings.filter((f) => f.outcome === 'hang' && /not settled/.test(f.detail))).toHaveLength(1);
    expect(report.findings.at(-1)).toMatchObject({ outcome: 'hang', detail: expect.stringMatching(/not settled after 2000 ms/) });
    expect(report.calls).toBe(report.findings.at(-1)!.call + 1);
  });
});
