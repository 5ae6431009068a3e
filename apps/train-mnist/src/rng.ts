import { RandomGenerator } from '@hypercolumn/core';

/**
 * The app's seeded stream for shuffling, augmentation and `--limit`: hypercolumn's generator
 * (mulberry32, same stream on every platform), separate from the global one that initialises weights.
 */
export class Rng extends RandomGenerator {
  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextFloat();
  }
  /** A uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.nextFloat() * (hi - lo + 1));
  }
  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.nextFloat() * (i + 1));
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }
}
