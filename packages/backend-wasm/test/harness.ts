// Test helpers: run one wasm kernel on float64 reference arrays and compare against the float64
// reference of @hypercolumn/conformance-core or finite differences of it.
import { expect } from 'vitest';
import { KERNELS, type KernelName } from '@hypercolumn/core';
import type { WasmBackend, WasmBuffer } from '../src/index.js';
import { reference } from '@hypercolumn/conformance-core';

export type F64 = reference.F64;
export const { f64, numel } = reference;


/** Deterministic uniform values in [lo, hi) (xorshift), so failures reproduce. */
export function rand(shape: readonly number[], seed: number, lo = -1, hi = 1): F64 {
  let s = (seed * 2654435761) >>> 0 || 1;
  const a = f64(shape);
  for (let i = 0; i < a.data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a.data[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return a;
}

/** Runs kernel `name` with float64 inputs uploaded as float32; returns every output as F64. */
export function runKernel(
  be: WasmBackend, name: KernelName, inputs: Record<string, F64 | undefined>, attrs: unknown, outShapes: Record<string, readonly number[]>,
): F64[] {
  const handles: Record<string, { data: WasmBuffer; shape: number[] }> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (v) handles[k] = { data: be.write(Float32Array.from(v.data), v.shape), shape: v.shape };
  }
  const kernel = be.kernels[name] as unknown as (...a: unknown[]) => WasmBuffer | WasmBuffer[];
  const out = kernel(handles, attrs, be, outShapes);
  const outs = Array.isArray(out) ? out : [out];
  const names = KERNELS[name].outputs;
  const result = outs.map((h, i) => {
    const shape = [...outShapes[names[i]!]!];
    const v = be.readSync!(h, numel(shape));
    be.free(h);
    return f64(shape, v);
  });
  for (const h of Object.values(handles)) be.free(h.data);
  return result;
}

/**
 * Elementwise closeness with a tolerance scaled to the reference's size: |got − want| ≤
 * tol·(|want| + scale), scale = max |want| (float32 accumulation error grows with the terms' size).
 */
export function expectClose(got: F64, want: F64, tol = 2e-4, label = ''): void {
  expect(got.shape, `${label} shape`).toEqual(want.shape);
  let scale = 0;
  for (const v of want.data) scale = Math.max(scale, Math.abs(v));
  let worst = 0, at = -1;
  for (let i = 0; i < want.data.length; i++) {
    const err = Math.abs(got.data[i]! - want.data[i]!) / (Math.abs(want.data[i]!) + scale + 1e-30);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${label} worst relative error at ${at}: got ${got.data[at]}, want ${want.data[at]}`).toBeLessThanOrEqual(tol);
}

/**
 * ∂/∂input of Σ dy·f(inputs) by central differences in float64 (h = 1e-4·(1 + |x|)), where f is a
 * reference forward function of one input array.
 */
export function finiteDiff(f: (x: F64) => F64, x: F64, dy: F64): F64 {
  const g = f64(x.shape);
  const probe = { shape: x.shape, data: Float64Array.from(x.data) };
  for (let i = 0; i < x.data.length; i++) {
    const h = 1e-4 * (1 + Math.abs(x.data[i]!));
    probe.data[i] = x.data[i]! + h;
    const up = dot(f(probe), dy);
    probe.data[i] = x.data[i]! - h;
    const down = dot(f(probe), dy);
    probe.data[i] = x.data[i]!;
    g.data[i] = (up - down) / (2 * h);
  }
  return g;
}

function dot(a: F64, b: F64): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i]! * b.data[i]!;
  return s;
}
