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
  describe(`conformance on ${backend}`, () => {
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
