/**
 * Reads of large results (split over the pool at 2 threads when nothing is queued) return every value,
 * by readSync (a pooled readback block), readInto (the caller's array) and read (async).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createNativeBackend } from '../src/index.js';
import { skipReason } from './helpers.js';

/** The first index where a and b differ (-1: none); toEqual on millions of elements takes a minute. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

describe.skipIf(skipReason !== undefined)('large reads', () => {
  const backends = skipReason === undefined ? [1, 2].map((threads) => createNativeBackend({ threads })) : [];
  afterAll(() => backends.forEach((b) => b.dispose()));

  it.each([1, 2])('at %i thread(s) every element comes back, whatever the size', async (threads) => {
    const b = backends[threads - 1]!;
    // sizes around the split threshold (2 MiB) and its 256 KiB blocks, one not a multiple of either
    for (const n of [(2 << 20) / 4 - 1, (2 << 20) / 4, 1_600_003]) {
      const values = Float32Array.from({ length: n }, (_, i) => (i % 9973) - i / n);
      const h = b.write(values);
      expect(firstDifference(b.readSync(h, n), values)).toBe(-1);
      const into = new Float32Array(n);
      b.readInto(h, into);
      expect(firstDifference(into, values)).toBe(-1);
      expect(firstDifference(await b.read(h, n), values)).toBe(-1);
      b.free(h);
    }
  });
});
