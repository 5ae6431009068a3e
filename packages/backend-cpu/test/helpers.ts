import { expect } from 'vitest';
import { KERNELS, kernelOutputShapes, RandomGenerator, type KernelName, type TensorInfo } from '@hypercolumn/core';
import { cpuKernels, createCpuBackend } from '../src/index.js';

/** Seeded uniform values in [0, 1) for test inputs. */
export function rng(seed: number): () => number {
  const generator = new RandomGenerator(seed);
  return () => generator.nextFloat();
}

type Info = TensorInfo<Float32Array>;

/**
 * Calls cpu kernel `name` as core does under contract v2 (output shapes computed by core's table and
 * passed in, handles returned) and returns its outputs with those shapes.
 */
export function runCpuKernel(name: KernelName, inputs: Record<string, Info | undefined>, attrs: object = {}): Info[] {
  const present: Record<string, Info> = {};
  const shapes: Record<string, readonly number[]> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if (v === undefined) continue;
    present[k] = v;
    shapes[k] = v.shape;
  }
  const outShapeList = kernelOutputShapes(name, shapes, attrs as never);
  const outShapes = Object.fromEntries(KERNELS[name].outputs.map((o, i) => [o, outShapeList[i]!]));
  const kernel = cpuKernels[name] as (i: unknown, a: unknown, b: unknown, s: unknown) => Float32Array | Float32Array[];
  const out = kernel(present, attrs, cpuBackend, outShapes);
  const handles = KERNELS[name].outputs.length === 1 ? [out as Float32Array] : (out as Float32Array[]);
  return handles.map((data, i) => {
    expect(data, `${name} output ${i}`).toBeInstanceOf(Float32Array);
    expect(data.length, `${name} output ${i} size`).toBe(outShapeList[i]!.reduce((a, b) => a * b, 1));
    return { data, shape: outShapeList[i]!.slice() };
  });
}

/** `runCpuKernel` as a one-output function of (inputs, attrs), like the kernel itself. */
export const cpuKernel = (name: KernelName) => (inputs: Record<string, Info | undefined>, attrs: object = {}): Info => runCpuKernel(name, inputs, attrs)[0]!;

const cpuBackend = createCpuBackend();
