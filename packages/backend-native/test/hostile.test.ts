import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/addon.js';
// @ts-expect-error plain ESM driver shared with scripts/asan-test.mjs
import { runHostile } from './hostile-driver.mjs';
import { runnableIsas, skipReason } from './helpers.js';

const loaded = loadAddon();

describe.skipIf(skipReason !== undefined)('hostile calls at the raw binding', () => {
  it.each(skipReason === undefined ? runnableIsas() : ['none'])('%s: every call succeeds or throws an Error, and nothing stays allocated', (isa) => {
    if (!('addon' in loaded)) throw new Error(loaded.reason);
    const result = runHostile(loaded.addon, { seed: 7, calls: 40, threads: 2, isa });
    expect(result.ok).toBeGreaterThan(50); // valid calls among the hostile ones really ran
    expect(result.rejected).toBeGreaterThan(500);
    expect(result.liveBytesAtEnd).toBe(0);
  });
  it('every convolution queued off the JS thread: the same calls succeed or throw at the call', () => {
    if (!('addon' in loaded)) throw new Error(loaded.reason);
    const result = runHostile(loaded.addon, { seed: 7, calls: 40, threads: 2, asyncMinFlops: 0 });
    expect(result.ok).toBeGreaterThan(50);
    expect(result.rejected).toBeGreaterThan(500);
    expect(result.liveBytesAtEnd).toBe(0);
  });
});
