import { RandomGenerator } from '@hypercolumn/core';

/** Seeded uniform values in [0, 1) for test inputs. */
export function rng(seed: number): () => number {
  const generator = new RandomGenerator(seed);
  return () => generator.nextFloat();
}
