import type { Backend, BackendOptions, KernelImpl, KernelName, KernelTable } from '@hypercolumn/core';

/** A cpu kernel: plain TypeScript on Float32Array data, allocating its outputs. */
export type CpuKernel<K extends KernelName> = KernelImpl<K, Float32Array, CpuBackend>;

export interface CpuBackendOptions extends BackendOptions {
  /** Kernels to register (default: all of `cpuKernels`); tests pass a subset to exercise fallback. */
  kernels?: KernelTable<Float32Array, CpuBackend>;
  /** Backend name (default 'cpu'). */
  name?: string;
}

/** Tensors live in ordinary Float32Arrays; the garbage collector frees them once core drops them. */
export class CpuBackend implements Backend<Float32Array> {
  /** The kernels run on the calling thread: always 1, whatever `threads` asked for (no worker pool). */
  readonly threads = 1;
  readonly description = 'plain TypeScript kernels on the calling thread (1 thread)';
  constructor(
    readonly kernels: KernelTable<Float32Array, CpuBackend>,
    readonly name = 'cpu',
  ) {}
  write(values: Float32Array): Float32Array {
    return values.slice();
  }
  /** Host memory is storage already: `hc.tensor(values, shape, {copy: false})` keeps the array itself. */
  adopt(values: Float32Array): Float32Array {
    return values;
  }
  readInto(data: Float32Array, out: Float32Array): void {
    out.set(data.subarray(0, out.length));
  }
  read(data: Float32Array): Promise<Float32Array> {
    return Promise.resolve(data.slice());
  }
  readSync(data: Float32Array): Float32Array {
    return data.slice();
  }
  /** `data({copy: false})`: the storage array itself (storage is never recycled, only collected). */
  view(data: Float32Array): Promise<Float32Array> {
    return Promise.resolve(data);
  }
  free(): void {}
}
