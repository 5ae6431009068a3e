/**
 * The whole conformance table on core's async test backend (opaque handles, deferred completion,
 * no readSync: the shape WebGPU will have). Kernels it lacks run as core's compositions (route
 * 'composite', traced per case); with no readSync a cpu fallback is impossible, so every case passes.
 */
import { describe, expect, it } from 'vitest';
import { cpuKernels, createCpuBackend } from '@hypercolumn/backend-cpu';
import * as hc from '@hypercolumn/core';
import { AsyncTestBackend } from '../../packages/core/test/async-backend.js';
import { runConformance } from '../src/runner.js';

describe('conformance on an asynchronous backend without readSync', () => {
  it('every case of the full table passes', async () => {
    hc.registerBackend('async', () => new AsyncTestBackend({ kernels: cpuKernels, backend: createCpuBackend({ name: 'async-math' }) }), 0);
    try {
      const r = await runConformance({ backends: ['async'] });
      const bad = r.cases.filter((c) => c.status !== 'pass' || c.route === 'fallback' || c.route === 'missing');
      expect(bad.map((c) => `${c.id} [${c.reference}] ${c.status}: ${c.message ?? ''}`)).toEqual([]);
      expect(r.cases.length).toBeGreaterThan(100);
      const byStatus: Record<string, number> = {};
      for (const c of r.cases) byStatus[c.status] = (byStatus[c.status] ?? 0) + 1;
      console.log(`async backend: ${r.cases.length} case results`, JSON.stringify(byStatus), `${Object.keys(r.matrix.async!).length} rows`);
    } finally {
      await hc.setBackend('cpu');
      hc.removeBackend('async');
    }
  }, 600_000);
});
