/**
 * The conformance table as a vitest suite, for a backend package's own tests:
 *
 *   import '../src/index.js';                       // registers the backend
 *   import { defineConformanceSuite } from '@hypercolumn/conformance-core/vitest';
 *   defineConformanceSuite('wasm');
 *
 * One `it` per op row (forward "conv2d", backward "conv2dBackward"); a row fails on any numeric
 * mismatch, error, leak, missing kernel, or cpu fallback (unless allowed), and a backend that is
 * unavailable fails with its reason.
 */
import { describe, expect, it } from 'vitest';
import { buildCases, rowOf, type Case } from './cases.js';
import { runConformance } from './runner.js';
import type { CaseResult, ConformanceOptions } from './types.js';
import { fuzz, type FuzzOptions } from './fuzz.js';
import { invalidLabelProblems, numberDivisorProblems } from './kernel-data.js';
import * as hc from '@hypercolumn/core';

export interface SuiteOptions extends Pick<ConformanceOptions, 'quick' | 'seed' | 'ops' | 'filter' | 'oracle'> {
  /** Accept cpu fallback: `true` for every kernel, or the kernels allowed to fall back. Default: none. */
  allowFallback?: boolean | string[];
  /** Per-row timeout in ms (default 60 s). */
  timeout?: number;
}

/** What fails a backend's own suite: every result that is not a pass (cpu fallback only where allowed). */
export function conformanceProblems(results: CaseResult[], allowFallback: SuiteOptions['allowFallback'] = false): string[] {
  const fallbackAllowed = (r: CaseResult) => allowFallback === true || (Array.isArray(allowFallback) && (r.fallbackKernels ?? []).every((k) => allowFallback.includes(k)));
  return results
    .filter((r) => r.status !== 'pass' && !(r.status === 'fallback' && fallbackAllowed(r)))
    .map((r) => `${r.id} [${r.reference}] ${r.status}${r.fallbackKernels ? ` (cpu fallback: ${r.fallbackKernels.join(', ')})` : ''}: ${r.message ?? ''}`);
}

/** Defines `describe('conformance on <backend>')` with one `it` per row of the (default: quick) table. */
export function defineConformanceSuite(backend: string, options: SuiteOptions = {}): void {
  const quick = options.quick ?? true;
  const selected = buildCases({ quick, seed: options.seed, ops: options.ops });
  const cases = options.filter ? selected.filter(options.filter) : selected;
  const rows = [...new Set(cases.map(rowOf))];
  describe(`conformance on ${backend}${options.seed !== undefined ? ` (case seed ${options.seed})` : ''}`, () => {
    it.each(rows)('%s', { timeout: options.timeout ?? 60_000 }, async (row) => {
      const result = await runConformance({
        ...options,
        quick,
        backends: [backend],
        filter: (c: Case) => rowOf(c) === row && (options.filter?.(c) ?? true),
      });
      const unavailable = result.backends.filter((b) => !b.tested).map((b) => `backend ${b.name} unavailable: ${b.reason}`);
      expect(unavailable).toEqual([]);
      expect(result.cases.length).toBeGreaterThan(0);
      expect(conformanceProblems(result.cases, options.allowFallback)).toEqual([]);
    });
  });
}

/**
 * Defines `describe('fuzz on <backend>')`: the seeded hostile-input fuzzer (fuzz.ts), bounded for CI,
 * failing on any call in a bad class (other error, wrong result, leak, hang). The seed is printed;
 * `HC_FUZZ_SEED=<seed>` replays a run. For a hard local run, `HC_FUZZ_SEEDS=<count or a,b,c>` runs
 * several seeds (one test each) and `HC_FUZZ_CALLS=<n>` makes every run exactly n calls (the CI time
 * budget no longer cuts it short).
 */
export function defineFuzzSuite(backend: string, options: Partial<Omit<FuzzOptions, 'backend'>> = {}): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
  const first = options.seed ?? (env.HC_FUZZ_SEED !== undefined ? Number(env.HC_FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31));
  const listed = env.HC_FUZZ_SEEDS?.includes(',') ? env.HC_FUZZ_SEEDS.split(',').map(Number) : undefined;
  const seeds = listed ?? Array.from({ length: env.HC_FUZZ_SEEDS !== undefined ? Number(env.HC_FUZZ_SEEDS) : 1 }, (_, i) => first + i);
  const exactCalls = env.HC_FUZZ_CALLS !== undefined ? Number(env.HC_FUZZ_CALLS) : undefined;
  const calls = exactCalls ?? options.calls ?? 1500;
  const timeBudgetMs = exactCalls !== undefined ? Infinity : options.timeBudgetMs;
  describe(`fuzz on ${backend}`, () => {
    it.each(seeds)(`hostile calls (seed %i): only HypercolumnErrors and right results, no leak, no hang`, { timeout: 120_000 + (exactCalls ?? 0) * 50 }, async (seed) => {
      console.log(`fuzz on ${backend}: seed ${seed}, ${calls} calls (replay: HC_FUZZ_SEED=${seed})`);
      const report = await fuzz({ ...options, backend, seed, calls, ...(timeBudgetMs !== undefined ? { timeBudgetMs } : {}) });
      console.log(`fuzz on ${backend}: ${report.calls} calls — ${Object.entries(report.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      const bad = report.findings.map((f) => `call ${f.call} ${f.api} [${f.outcome}]: ${f.detail}`);
      expect(bad, `seed ${seed}; ${report.replay}`).toEqual([]);
      expect(report.counts.ok, 'some calls must be accepted (the fuzzer reaches the ops)').toBeGreaterThan(0);
      expect(report.counts.rejected, 'some calls must be rejected (the fuzzer is hostile)').toBeGreaterThan(0);
    });
    // fixed probes of what the fuzzer once found: each returns its problems, and leaves no tensor
    it.each([
      ['kernels given invalid label values answer NaN (no other row, no trap, no out-of-bounds read)', invalidLabelProblems],
      ['a number divisor whose reciprocal is not a normal float32 divides as float32 does (−0 / 1e-45 is −0, not NaN)', numberDivisorProblems],
    ] as const)('%s', async (_name, problems) => {
      await hc.setBackend(backend);
      const before = hc.memory().numTensors;
      expect(await problems()).toEqual([]);
      expect(hc.memory().numTensors).toBe(before);
    });
  });
}
