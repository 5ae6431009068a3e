/**
 * Seeded random numbers for parameter initialisation and random tensors.
 *
 * One global generator (mulberry32: 32-bit state, fast, good enough for initialisation and test
 * data; not cryptographic). It starts from a fixed seed (0), so a program that never calls
 * `manualSeed` is still deterministic; `manualSeed(seed)` resets it. Passing `{ seed }` to
 * `randn`/`rand` uses a private generator for that call and leaves the global one untouched.
 */
import { fail } from './errors.js';
import { tensor, type TensorOptions } from './ops/creation.js';
import type { Tensor } from './tensor.js';
import { checkFinite, checkOptions, checkShapeArgument } from './validate.js';

const TWO_POW_32 = 4294967296;

/** splitmix32-style scrambling of a seed, so nearby seeds give unrelated streams. */
function scramble(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A mulberry32 generator. */
export class RandomGenerator {
  private state: number;
  constructor(seed: number) {
    this.state = scramble(seedToUint32(seed));
  }
  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1) with 24 random bits: exactly representable in float32, never 1. */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }
  /** Uniform in (0, 1] with 32 random bits (safe for log). */
  nextOpenFloat(): number {
    return (this.nextUint32() + 1) / TWO_POW_32;
  }
}

function seedToUint32(seed: number): number {
  // any integer (negative, beyond 2^32) maps to a 32-bit seed; the high bits are folded in
  const low = seed >>> 0;
  const high = Math.floor(seed / TWO_POW_32) >>> 0;
  return (low ^ Math.imul(high, 0x27d4eb2d)) >>> 0;
}

function checkSeed(op: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) fail(op, 'seed', 'a safe integer', seed);
  return seed;
}

let global = new RandomGenerator(0);

/** Re-seeds the global generator (parameter initialisation, randn/rand without a seed). */
export function manualSeed(seed: number): void {
  global = new RandomGenerator(checkSeed('manualSeed', seed));
}

/** The global generator (used by layer initialisers). */
export function globalGenerator(): RandomGenerator {
  return global;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** The largest float32 strictly below `x` (x a finite float32). */
function float32Below(x: number): number {
  f32[0] = x;
  if (x === 0) return -1.401298464324817e-45;
  i32[0] += x > 0 ? -1 : 1;
  return f32[0]!;
}

/** n values uniform in [low, high) as float32 (rounding never reaches `high` unless low = high). */
export function uniformArray(n: number, low: number, high: number, gen: RandomGenerator = global): Float32Array {
  const out = new Float32Array(n);
  const span = high - low;
  for (let i = 0; i < n; i++) {
    const v = Math.fround(low + span * gen.nextFloat());
    out[i] = v >= high && high > low ? float32Below(high) : v;
  }
  return out;
}

/** n standard-normal values (Box–Muller, float64 then rounded) scaled to mean/std. */
export function normalArray(n: number, mean = 0, std = 1, gen: RandomGenerator = global): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(gen.nextOpenFloat()));
    const theta = 2 * Math.PI * gen.nextFloat();
    out[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
  }
  return out;
}

export interface RandomOptions extends TensorOptions {
  /** Use a private generator seeded with this (the global generator is not advanced). */
  seed?: number;
}
export interface RandnOptions extends RandomOptions {
  mean?: number;
  std?: number;
}
export interface RandOptions extends RandomOptions {
  low?: number;
  high?: number;
}

function generatorFor(op: string, seed: unknown): RandomGenerator {
  return seed === undefined ? global : new RandomGenerator(checkSeed(op, seed));
}

/** A tensor of normal samples N(mean, std²) (defaults 0, 1). */
export function randn(shape: readonly number[], options: RandnOptions = {}): Tensor {
  const op = 'randn';
  const dims = checkShapeArgument(op, shape);
  const { seed, mean, std, ...tensorOptions } = checkOptions<RandnOptions>(op, options, ['seed', 'mean', 'std', 'requiresGrad', 'backend']);
  const m = checkFinite(op, 'mean', mean ?? 0);
  const s = checkFinite(op, 'std', std ?? 1);
  if (s < 0) fail(op, 'std', 'a finite number ≥ 0', s);
  const n = dims.reduce((a, b) => a * b, 1);
  return tensor(normalArray(n, m, s, generatorFor(op, seed)), dims, tensorOptions);
}

/** A tensor of uniform samples in [low, high) (defaults 0, 1). */
export function rand(shape: readonly number[], options: RandOptions = {}): Tensor {
  const op = 'rand';
  const dims = checkShapeArgument(op, shape);
  const { seed, low, high, ...tensorOptions } = checkOptions<RandOptions>(op, options, ['seed', 'low', 'high', 'requiresGrad', 'backend']);
  const lo = checkFinite(op, 'low', low ?? 0);
  const hi = checkFinite(op, 'high', high ?? 1);
  if (hi < lo) fail(op, 'high', `a number ≥ low (${lo})`, hi);
  const n = dims.reduce((a, b) => a * b, 1);
  return tensor(uniformArray(n, lo, hi, generatorFor(op, seed)), dims, tensorOptions);
}
