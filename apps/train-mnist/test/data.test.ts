import { describe, expect, it } from 'vitest';
import { Batcher, copyShifted, isTestIndex, limitDigits, loadDigits, NUM_CLASSES, PIXELS, pixelStats, splitDigits, standardise } from '../src/data.js';
import { Rng } from '../src/rng.js';

/** Bitwise equality of two typed arrays (vitest's deep equality is slow on millions of elements). */
const same = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

describe('MNIST data and split', () => {
  const all = loadDigits();
  const split = splitDigits(all);

  it('loads the 10,000 digits of the mnist package in order 0…9', () => {
    expect(all.count).toBe(10_000);
    expect(all.images.length).toBe(10_000 * PIXELS);
    for (let i = 1; i < all.count; i++) expect(all.labels[i]!).toBeGreaterThanOrEqual(all.labels[i - 1]!);
    expect(all.labels[0]).toBe(0);
    expect(all.labels[all.count - 1]).toBe(9);
    let min = Infinity, max = -Infinity;
    for (const v of all.images) { if (v < min) min = v; if (v > max) max = v; }
    expect(min).toBe(0);
    expect(max).toBe(1);
  });

  it('splits 8,000 train / 2,000 test with image i a test image iff i % 5 == 4', () => {
    expect(split.train.count).toBe(8000);
    expect(split.test.count).toBe(2000);
    // test image k is package image 5k + 4, train image k is the k-th image with i % 5 != 4
    for (const k of [0, 1, 999, 1999]) {
      const src = 5 * k + 4;
      expect(isTestIndex(src)).toBe(true);
      expect(split.test.labels[k]).toBe(all.labels[src]);
      expect(same(split.test.images.subarray(k * PIXELS, (k + 1) * PIXELS), all.images.subarray(src * PIXELS, (src + 1) * PIXELS))).toBe(true);
    }
    for (const k of [0, 3, 4, 7999]) {
      const src = Math.floor(k / 4) * 5 + (k % 4);
      expect(split.train.labels[k]).toBe(all.labels[src]);
      expect(split.train.images[k * PIXELS + 400]).toBe(all.images[src * PIXELS + 400]);
    }
    // every digit appears in both sets, about 4 : 1
    for (let d = 0; d < NUM_CLASSES; d++) {
      const tr = split.train.labels.filter((l) => l === d).length;
      const te = split.test.labels.filter((l) => l === d).length;
      const total = all.labels.filter((l) => l === d).length;
      expect(tr + te).toBe(total);
      expect(Math.abs(te - total / 5)).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic', () => {
    const again = splitDigits(all);
    expect(same(again.train.labels, split.train.labels)).toBe(true);
    expect(same(again.train.images, split.train.images)).toBe(true);
    expect(same(again.test.images, split.test.images)).toBe(true);
    const a = limitDigits(split.train, 300, new Rng(7));
    const b = limitDigits(split.train, 300, new Rng(7));
    const c = limitDigits(split.train, 300, new Rng(8));
    expect(a.count).toBe(300);
    expect(same(a.labels, b.labels)).toBe(true);
    expect(same(a.images, b.images)).toBe(true);
    expect(same(c.images, a.images)).toBe(false);
    expect(new Set(a.labels).size).toBe(10);
  });

  it('standardises to mean 0 / std 1 on the training set', () => {
    const stats = pixelStats(split.train);
    expect(stats.mean).toBeGreaterThan(0.1);
    expect(stats.mean).toBeLessThan(0.16);
    const s = pixelStats(standardise(split.train, stats));
    expect(s.mean).toBeCloseTo(0, 5);
    expect(s.std).toBeCloseTo(1, 5);
  });

  it('shifts images with the background filled in', () => {
    const img = new Float32Array(PIXELS).map((_, i) => i + 1);
    const out = new Float32Array(PIXELS);
    copyShifted(img, 0, out, 0, 2, -1, -9);
    // out(y, x) = img(y + 1, x − 2)
    expect(out[0 * 28 + 2]).toBe(img[1 * 28 + 0]);
    expect(out[5 * 28 + 27]).toBe(img[6 * 28 + 25]);
    expect(out[0 * 28 + 1]).toBe(-9);
    expect(out[27 * 28 + 10]).toBe(-9);
    copyShifted(img, 0, out, 0, 0, 0, -9);
    expect(same(out, img)).toBe(true);
    const batcher = new Batcher(4);
    const { x, y } = batcher.fill(split.test, [0, 1, 2], 0, 3, 0);
    expect(x.length).toBe(3 * PIXELS);
    expect(Array.from(y)).toEqual(Array.from(split.test.labels.subarray(0, 3)));
  });
});
