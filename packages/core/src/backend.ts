import type { KernelAttrs, KernelInputs, KernelName, KernelOutputShapes, KernelOutputs } from './kernels.js';

/**
 * One kernel on one backend. Inputs are already validated, attributes fully resolved and output
 * shapes computed by core; the kernel enqueues its work and returns one fresh handle per output
 * (it may complete later). It never reads inputs back to the host and never re-derives a shape.
 */
export type KernelImpl<K extends KernelName, D, B extends Backend<D> = Backend<D>> = (
  inputs: KernelInputs<K, D>,
  attrs: KernelAttrs<K>,
  backend: B,
  outShapes: KernelOutputShapes<K>,
) => KernelOutputs<K, D>;

/** The kernels a backend implements: any subset of the contract. */
export type KernelTable<D, B extends Backend<D> = Backend<D>> = { [K in KernelName]?: KernelImpl<K, D, B> };

/**
 * What a backend provides: storage for float32 tensors and a table of kernels. `D` is its data
 * handle (a Float32Array for cpu, an offset into wasm memory, a GPUBuffer, a native pointer …),
 * opaque to core.
 */
export interface Backend<D = unknown> {
  readonly name: string;
  readonly kernels: KernelTable<D, any>;
  /** Threads the kernels use (benchmarks compare peers at the same count). */
  readonly threads?: number;
  /**
   * Priority the backend gives itself once started, overriding its registration (a software GPU
   * adapter ranks itself below wasm).
   */
  readonly priority?: number;
  /** One line on how it runs (build variant, adapter, threads), shown by `listBackends()`. */
  readonly description?: string;
  /** Copies `values` into new backend storage of the given shape. */
  write(values: Float32Array, shape: readonly number[]): D;
  /**
   * Takes `values` as the storage itself, without a copy (`hc.tensor(..., {copy: false})`); only
   * host-visible backends offer it. The caller must not write to `values` afterwards.
   */
  adopt?(values: Float32Array, shape: readonly number[]): D;
  /** Reads the whole buffer back into a new Float32Array of `size` elements, once pending work is done. */
  read(data: D, size: number): Promise<Float32Array>;
  /** Synchronous read, where the backend allows it (cpu, native, single-threaded wasm; not WebGPU). */
  readSync?(data: D, size: number): Float32Array;
  /** Synchronous read into the caller's buffer (one copy), for host-visible backends. */
  readInto?(data: D, out: Float32Array): void;
  /**
   * The storage itself as a Float32Array, once pending work is done (`tensor.data({copy: false})`):
   * host-visible backends lend it instead of copying. The array must stay valid after `free`: the
   * backend reuses the memory only once the array is unreachable.
   */
  view?(data: D, size: number): Promise<Float32Array>;
  /**
   * The storage itself as a Float32Array, valid until `free` (`tensor.borrow()`): at `free` the backend
   * detaches the array (length 0) and may reuse the memory at once. Without it core uses `view`, then
   * `read`.
   */
  borrow?(data: D, size: number): Promise<Float32Array>;
  /**
   * Releases storage made by `write` or by a kernel. It may arrive while work that reads the handle
   * is still pending: the backend keeps the storage alive until that work completes.
   */
  free(data: D): void;
  /** Submits queued work (core calls it at the end of backward, optimizer steps, and before a read). */
  flush?(): void;
  /** Resolves when every queued kernel has completed. */
  sync?(): Promise<void>;
  /**
   * Settles with the reason if the backend is lost (GPU device loss, a worker that died): the engine
   * marks it unavailable, and its tensors raise `HypercolumnError` when used.
   */
  readonly lost?: Promise<string>;
  /** Bytes the backend itself holds (arenas, pools, caches), for leak checks and `hc.memory()`. */
  memory?(): { bytes: number };
  /** Releases everything (workers, devices). */
  dispose?(): void | Promise<void>;
}

/** Options every backend factory accepts. */
export interface BackendOptions {
  /** Worker threads for the kernels; default all cores, 1 for deterministic comparison. */
  threads?: number;
}

/** Registered by backend packages: creates the backend, or throws / rejects with why it cannot start. */
export type BackendFactory = () => Backend<any> | Promise<Backend<any>>;
