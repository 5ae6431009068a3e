/**
 * The pieces every random case family builds on (cases.ts, training/cases.ts, layer-cases.ts): input
 * specs and records of bounded integers. Each family keeps its own bounds: small where finite
 * differences run over every element, layer-sized where they run over a sample.
 */
import fc from 'fast-check';
import type { InputSpec } from './cases.js';

/** Uniform values in [−1, 1). */
export const u = (...shape: number[]): InputSpec => ({ shape });
/** Values in [0.5, 1.5): variances, divisors. */
export const pos = (...shape: number[]): InputSpec => ({ shape, gen: 'positive' });
/** A shuffled ramp without ties (max pooling: gradients away from kinks). */
export const distinct = (...shape: number[]): InputSpec => ({ shape, gen: 'distinct' });

/** An arbitrary integer per key, each in its [min, max]; the keys keep their order (and so the draws). */
export function ints<K extends string>(bounds: Record<K, readonly [number, number]>): Record<K, fc.Arbitrary<number>> {
  return Object.fromEntries(Object.entries<readonly [number, number]>(bounds).map(([k, [min, max]]) => [k, fc.integer({ min, max })])) as Record<K, fc.Arbitrary<number>>;
}

/** A norm case: shape bounds, an affine flag, eps, and (`pick`) a free number for axes and group counts. */
export function normArb(bounds: Record<'N' | 'C' | 'H' | 'W', readonly [number, number]>) {
  return fc.record({ ...ints(bounds), affine: fc.boolean(), eps: fc.constantFrom(1e-5, 1e-3), pick: fc.integer({ min: 0, max: 1000 }) });
}

/** Explicit padding as [top, bottom, left, right] ('same' and 'valid': zeros). */
function pads4(p: unknown): [number, number, number, number] {
  if (typeof p === 'number') return [p, p, p, p];
  if (Array.isArray(p) && p.length === 2) return [p[0], p[0], p[1], p[1]];
  if (Array.isArray(p) && p.length === 4) return p as [number, number, number, number];
  return [0, 0, 0, 0]; // 'same' always fits; 'valid' checked as zero padding
}

/** Whether a random convolution's dilated kernel fits its padded map. */
export function convFits(r: { padding: unknown; H: number; W: number; kh: number; kw: number; dh: number; dw: number }): boolean {
  if (r.padding === 'same') return true;
  const [t, b, l, rr] = pads4(r.padding);
  return r.H + t + b >= r.dh * (r.kh - 1) + 1 && r.W + l + rr >= r.dw * (r.kw - 1) + 1;
}

/** Whether a random pool is valid: padding at most half the kernel, the dilated kernel within the padded map. */
export const poolFits = (r: { H: number; W: number; kh: number; kw: number; ph: number; pw: number }, dilation: number) =>
  r.ph <= Math.floor(r.kh / 2) && r.pw <= Math.floor(r.kw / 2) && r.H + 2 * r.ph >= dilation * (r.kh - 1) + 1 && r.W + 2 * r.pw >= dilation * (r.kw - 1) + 1;
