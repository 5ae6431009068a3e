/**
 * Kernel-level test plumbing around the float64 reference of @hypercolumn/conformance-core: seeded
 * data, kernel calls on the GPU, finite-difference vector-Jacobian products for backward kernels,
 * and DESIGN §3's tolerance. No Node or vitest import: the headless-browser test bundles it too.
 */
import type { KernelAttrs, KernelName, TensorInfo } from '@hypercolumn/core';
import { reference } from '@hypercolumn/conformance-core';
import type { GpuData, WebGpuBackend } from '../src/index.js';

export const ref = reference;
export const { absOf, f64 } = reference;
export type F64 = reference.F64;

/** Seeded uniform values in [lo, hi), rounded to float32 (so the reference sees what the GPU sees). */
export function rand(shape: readonly number[], seed: number, lo = -1, hi = 1): F64 {
  let s = seed >>> 0 || 1;
  const a = f64(shape);
  for (let i = 0; i < a.data.length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    a.data[i] = Math.fround(lo + (hi - lo) * u);
  }
  return a;
}

/** Runs one kernel on the GPU with F64 inputs (uploaded as float32) and reads every output back. */
export async function runKernel<K extends KernelName>(
  gpu: WebGpuBackend, name: K, inputs: Record<string, F64 | undefined>, attrs: KernelAttrs<K>, outShapes: Record<string, readonly number[]>,
): Promise<Float32Array[]> {
  const handles: Record<string, TensorInfo<GpuData>> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (v) handles[k] = { data: gpu.write(Float32Array.from(v.data), v.shape), shape: v.shape };
  }
  const kernel = gpu.kernels[name] as unknown as (i: unknown, a: unknown, b: unknown, o: unknown) => GpuData | GpuData[];
  const out = kernel(handles, attrs, gpu, outShapes);
  const outs = Array.isArray(out) ? out : [out];
  const shapes = Object.values(outShapes);
  const values = await Promise.all(outs.map((h, k) => gpu.read(h, shapes[k]!.reduce((a, b) => a * b, 1))));
  for (const h of Object.values(handles)) gpu.free(h.data);
  for (const h of outs) gpu.free(h);
  return values;
}

/** A reference gradient with its tolerance magnitude. */
export interface Gradient extends F64 {
  magnitude: F64;
}

/**
 * Finite-difference gradient of L = Σ dy·f(inputs) with respect to inputs[wrt]: each Jacobian column
 * by central differences in float64 (exact up to rounding for (piecewise) linear ops), so the
 * magnitude of the summed terms comes with it: m_i = Σ_j |J_ji·dy_j| (DESIGN §3's m).
 */
export function vjp(f: (inputs: F64[]) => F64, inputs: F64[], dy: F64, wrt: number, h = 1e-4): Gradient {
  const x = inputs[wrt]!;
  const g = f64(x.shape), m = f64(x.shape);
  for (let j = 0; j < x.data.length; j++) {
    const v = x.data[j]!;
    x.data[j] = v + h;
    const plus = f(inputs).data.slice();
    x.data[j] = v - h;
    const minus = f(inputs).data;
    x.data[j] = v;
    let s = 0, a = 0;
    for (let k = 0; k < plus.length; k++) {
      const t = ((plus[k]! - minus[k]!) / (2 * h)) * dy.data[k]!;
      s += t;
      a += Math.abs(t);
    }
    g.data[j] = s;
    m.data[j] = a;
  }
  return { ...g, magnitude: m };
}

/**
 * DESIGN §3: |got − ref| ≤ 1e-5·m + rtol·|ref| per element, m the magnitude of the summed terms
 * (default |ref|, for ops that sum nothing). Returns the worst violation, or null when all pass.
 */
export function closeness(label: string, got: Float32Array, want: F64, magnitude?: F64, rtol = 1e-4): string | null {
  if (got.length !== want.data.length) return `${label}: ${got.length} values, want ${want.data.length}`;
  let worst = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const r = want.data[i]!, g = got[i]!;
    if ((Number.isNaN(r) && Number.isNaN(g)) || r === g) continue;
    const m = magnitude ? magnitude.data[i]! : Math.abs(r);
    const excess = Math.abs(g - r) - (1e-5 * m + rtol * Math.abs(r));
    if (!(excess <= worst)) {
      worst = Number.isNaN(excess) ? Infinity : excess;
      at = i;
    }
  }
  if (at < 0) return null;
  return `${label}: element ${at} got ${got[at]} want ${want.data[at]} (magnitude ${magnitude?.data[at] ?? Math.abs(want.data[at]!)})`;
}
