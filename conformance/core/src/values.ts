/** Seeded input values for a case (float32 values, and the same values exactly as float64). */
import { RandomGenerator } from '@hypercolumn/core';
import type { Case, Gen } from './cases.js';
import { OPS } from './ops.js';
import type { F64 } from './reference/index.js';

/** The smallest normal float32, 2⁻¹²⁶: below it, values are subnormal (flushed to 0 on some GPUs). */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/** Seeded uniform values in [0, 1): hypercolumn's generator (not reference code, just input data). */
export function rng(seed: number): () => number {
  const generator = new RandomGenerator(seed);
  return () => generator.nextFloat();
}

function draw(gen: Gen | undefined, n: number, rand: () => number): Float32Array {
  const out = new Float32Array(n);
  if (gen === undefined || gen === 'uniform') for (let i = 0; i < n; i++) out[i] = rand() * 2 - 1;
  else if (gen === 'positive') for (let i = 0; i < n; i++) out[i] = 0.5 + rand();
  else if (gen === 'nonzero') for (let i = 0; i < n; i++) out[i] = (rand() < 0.5 ? -1 : 1) * (0.1 + 0.9 * rand());
  else if (gen === 'distinct') {
    // a shuffled ramp: no ties, neighbours at least 1/n apart (max-pool gradients stay away from kinks)
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    for (let i = 0; i < n; i++) out[i] = ((idx[i] + 0.25 + 0.5 * rand()) / n) * 2 - 1;
  } else for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * gen.labels);
  return out;
}

export interface CaseValues {
  f32: Record<string, Float32Array>;
  f64: Record<string, F64>;
  shapes: Record<string, number[]>;
  /** Backward cases: the fixed random weights r of the loss Σ y ⊙ r (set by the runner once y's size is known). */
}

export function caseValues(c: Case): CaseValues {
  const rand = rng(c.seed);
  const spec = OPS[c.op];
  const f32: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  for (const name of spec.inputs) {
    const s = c.inputs[name];
    if (!s) continue;
    const n = s.shape.reduce((a, b) => a * b, 1);
    f32[name] = s.values ? Float32Array.from(s.values) : draw(s.gen, n, rand);
    shapes[name] = s.shape;
  }
  spec.prepare?.(f32, shapes, c.attrs);
  const f64: Record<string, F64> = {};
  for (const [k, v] of Object.entries(f32)) f64[k] = { shape: shapes[k], data: Float64Array.from(v) };
  return { f32, f64, shapes };
}

/** Loss weights r for a backward case: seeded, in [−1, 1]. */
export function lossWeights(seed: number, n: number): Float32Array {
  return draw('uniform', n, rng(seed ^ 0x5bd1e995));
}
