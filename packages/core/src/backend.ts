import type { KernelAttrs, KernelInputs, KernelName, KernelOutputs, TensorInfo } from './kernels.js';

/**
 * One kernel on one backend. Inputs are already validated and attributes fully resolved by core;
 * the kernel allocates its outputs through `backend` and returns them.
 */
export type KernelImpl<K extends KernelName, D, B extends Backend<D> = Backend<D>> = (
  inputs: KernelInputs<K, D>,
  attrs: KernelAttrs<K>,
  backend: B,
) => KernelOutputs<K, D>;

/** The kernels a backend implements: any subset of the contract. */
export type KernelTable<D, B extends Backend<D> = Backend<D>> = { [K in KernelName]?: KernelImpl<K, D, B> };

/**
 * What a backend provides: storage for float32 tensors and a table of kernels. `D` is its data
 * handle (a Float32Array for cpu, an offset into wasm memory, a GPUBuffer, a native pointer …).
 */
export interface Backend<D = unknown> {
  readonly name: string;
  readonly kernels: KernelTable<D, any>;
  /** Threads the kernels use (benchmarks compare peers at the same count); default 1. */
  readonly threads?: number;
  /** Copies `values` into new backend storage of the given shape. */
  write(values: Float32Array, shape: readonly number[]): D;
  /** Reads the whole buffer back into a new Float32Array of `size` elements. */
  read(data: D, size: number): Promise<Float32Array>;
  /** Synchronous read, where the backend allows it (cpu, wasm, native; not WebGPU). */
  readSync?(data: D, size: number): Float32Array;
  /** Releases storage made by `write` or by a kernel. */
  free(data: D): void;
  /** Bytes the backend itself holds, for leak checks (optional). */
  memory?(): { bytes: number };
  /** Releases everything (workers, devices). */
  dispose?(): void | Promise<void>;
}

export type AnyTensorInfo = TensorInfo<unknown>;

/** Registered by backend packages: creates the backend, or throws / rejects with why it cannot start. */
export type BackendFactory = () => Backend<any> | Promise<Backend<any>>;
