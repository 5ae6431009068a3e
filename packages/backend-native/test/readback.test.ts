/**
 * Reads of large results (split over the pool at 2 threads when nothing is queued) return every value,
 * by readSync (a pooled readback block), readInto (the caller's array) and read (async); views
 * (`data({copy: false})`) lend the tensor's own block and keep it from reuse while the array lives;
 * borrowed arrays (`borrow()`) lend it until the tensor is freed, which detaches them.
 */
import { conv2dGeometry } from '@hypercolumn/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createNativeBackend, nativeKernels } from '../src/index.js';
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

  it.each([1, 2])('at %i thread(s) a view is the block itself: valid after free, its block not handed out again while it lives', async (threads) => {
    const b = backends[threads - 1]!;
    for (const n of [16_384, 100_003]) {
      const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const h = b.write(values);
      const view = await b.view(h, n);
      expect(firstDifference(view, values)).toBe(-1);
      const before = b.memory().viewBytes;
      expect(before).toBeGreaterThanOrEqual(n * 4);
      b.free(h);
      // same size: a block back in the pool would be the next one handed out
      const others = [1, 2, 3].map((k) => b.write(new Float32Array(n).fill(k)));
      expect(firstDifference(view, values)).toBe(-1);
      for (const o of others) b.free(o);
      expect(b.liveCount()).toBe(0);
    }
  });

  it.each([1, 2])('at %i thread(s) a borrowed array is the block until free: then detached, and the block is the next one handed out', async (threads) => {
    const b = backends[threads - 1]!;
    for (const n of [16_384, 100_003]) {
      const values = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
      const lentBefore = b.memory().viewBytes; // views of the test above may still be alive
      const h = b.write(values);
      const borrowed = await b.borrow(h, n);
      expect(firstDifference(borrowed, values)).toBe(-1);
      const held = b.memory().bytes;
      expect(b.memory().viewBytes).toBeGreaterThanOrEqual(lentBefore + n * 4);
      b.free(h);
      expect(borrowed.length).toBe(0); // detached: no stale values, no access to a reused block
      expect(borrowed.buffer.byteLength).toBe(0);
      expect(b.memory().viewBytes).toBe(lentBefore);
      // the block went back at once: the same size again takes no new memory, here or for a result
      const again = b.write(new Float32Array(n).fill(7));
      expect(b.memory().bytes).toBe(held);
      const second = await b.borrow(again, n);
      expect(second[n - 1]).toBe(7);
      b.free(again);
      expect(b.liveCount()).toBe(0);
    }
  });

  it('a borrowed array collected before the free, small tensors (lent too) and adopted ones (copies) leave nothing behind', async () => {
    const b = createNativeBackend({ threads: 1 });
    const n = 50_000;
    const h = b.write(new Float32Array(n).fill(2));
    for (let i = 0; i < 3; i++) expect((await b.borrow(h, n))[i]).toBe(2); // arrays dropped at once
    const small = b.write(Float32Array.of(1, 2, 3));
    const smallLent = await b.borrow(small, 3);
    expect(Array.from(smallLent)).toEqual([1, 2, 3]);
    const owned = new Float32Array(n).fill(5);
    const adopted = b.adopt!(owned, [n]);
    const adoptedCopy = await b.borrow(adopted, n);
    b.free(small);
    b.free(adopted);
    b.free(h);
    expect(smallLent.length).toBe(0); // detached with its tensor, as large ones are
    // a copy is the caller's own array: free does not touch it
    expect(adoptedCopy[n - 1]).toBe(5);
    expect(b.liveCount()).toBe(0);
    b.dispose();
  });

  it('a borrowed array is detached by dispose(); a view is not', async () => {
    const b = createNativeBackend({ threads: 2 });
    const n = 40_000;
    const values = Float32Array.from({ length: n }, (_, i) => i);
    const h = b.write(values);
    const borrowed = await b.borrow(h, n);
    const view = await b.view(h, n);
    b.dispose();
    expect(borrowed.length).toBe(0);
    expect(firstDifference(view, values)).toBe(-1);
  });

  it('a view of a queued convolution waits for it; views survive the backend', async () => {
    const b = createNativeBackend({ threads: 2, asyncMinFlops: 0 });
    const xs = [1, 8, 40, 40], ws = [8, 8, 3, 3];
    const x = Float32Array.from({ length: 8 * 40 * 40 }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
    const w = Float32Array.from({ length: 8 * 8 * 9 }, (_, i) => ((i * 53) % 89) / 89 - 0.5);
    const g = conv2dGeometry('conv2d', xs, ws, { padding: 1 });
    const xh = b.write(x), wh = b.write(w);
    const y = nativeKernels.conv2d!({ x: { data: xh, shape: xs }, w: { data: wh, shape: ws } }, { geometry: g } as never, b, { y: [1, 8, 40, 40] });
    const view = await b.view(y, y.size); // queued: resolves once the kernel is done
    // one inner output against a float64 sum of the definition
    let want = 0;
    for (let c = 0; c < 8; c++)
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) want += x[(c * 40 + 20 + ky - 1) * 40 + 21 + kx - 1]! * w[((5 * 8 + c) * 3 + ky) * 3 + kx]!;
    expect(Math.abs(view[(5 * 40 + 20) * 40 + 21]! - want)).toBeLessThanOrEqual(1e-5 * 72);
    const copy = b.readSync(y, y.size);
    b.dispose(); // frees every tensor; the viewed block waits for the view
    expect(firstDifference(view, copy)).toBe(-1);
  });
});

