import {
  HypercolumnError,
  KERNELS,
  type Backend,
  type KernelAttrs,
  type KernelImpl,
  type KernelInputs,
  type KernelName,
  type KernelOutputShapes,
  type KernelTable,
  type TensorInfo,
} from '@hypercolumn/core';
import type { NativeAddon, NativeContext } from './addon.js';

/** A tensor's storage: an id in the addon's registry and its element count. */
export class NativeHandle {
  constructor(
    readonly id: number,
    readonly size: number,
  ) {}
}

export type NativeKernel<K extends KernelName> = KernelImpl<K, NativeHandle, NativeBackend>;

export interface NativeBackendOptions {
  /** Threads of the pool (default: all cores). */
  threads?: number;
  /** Instruction set (default: the best the CPU has); tests force 'avx2' or 'base' to check each path. */
  isa?: 'avx512' | 'avx2' | 'base';
  /**
   * Convolutions of at least this many flops (2 × multiply-adds) run on a thread of their own, off the
   * JS thread: the kernel returns its output handle at once and `await y.data()` lets the event loop
   * run meanwhile. Default 4e9 (about 20 ms on one core); 0 queues every convolution; `Infinity`
   * keeps every kernel on the JS thread.
   */
  asyncMinFlops?: number;
  /** Backend name (default 'native'). */
  name?: string;
  /** Kernels to register (default: all of `nativeKernels`). */
  kernels?: KernelTable<NativeHandle, NativeBackend>;
}

// Handing a kernel to the runner and waking the event loop when it is done costs tens of µs on a
// quiet machine and up to milliseconds on a loaded one, and while a kernel runs there, V8's collector
// takes the idle JS thread and a core from it (conv B, 1.9 GFLOP, in a loop that reads 25.7 MB
// results: median 20 ms queued, 15 ms inline): only kernels of tens of milliseconds go.
const DEFAULT_ASYNC_MIN_FLOPS = 4e9;
/** Bytes of views lent between two turns of the event loop (see view()). */
const VIEW_TURN_BYTES = 32 << 20;
/** Reads of at least this many elements get a pooled readback block (binding.cc, ReadbackPool::kMinBytes). */
const READBACK_MIN_ELEMENTS = 16 * 1024;

function checkReadSize(data: NativeHandle, size: number): void {
  if (size !== data.size) throw new HypercolumnError(`native read: asked for ${size} elements, the tensor has ${data.size}`, 'read');
}

/**
 * `read()` of a ready large result waits one turn of the event loop: blocks of earlier results, which
 * V8's finalizers hand back from a setImmediate after a collection, return to their pools first (an
 * `await` loop of reads would otherwise never let them, and every read would take fresh memory).
 */
function afterCollectedBlocks(size: number, read: () => Float32Array): Promise<Float32Array> {
  if (size < READBACK_MIN_ELEMENTS) return Promise.resolve(read());
  return new Promise((resolve, reject) =>
    setImmediate(() => {
      try {
        resolve(read());
      } catch (e) {
        reject(e);
      }
    }),
  );
}

function nativeError(op: string, e: unknown): HypercolumnError {
  const msg = e instanceof Error ? e.message : String(e);
  return new HypercolumnError(msg.startsWith(`${op}:`) ? `native ${msg}` : `native ${op}: ${msg}`, op);
}

/**
 * Tensors live in the addon's pooled buffers; a handle is an id. Kernels run on the persistent thread
 * pool: small ones synchronously on the JS thread, large convolutions queued to a runner thread (the
 * handle is returned at once; reads wait for it, `free` is deferred until the queue is done).
 */
export class NativeBackend implements Backend<NativeHandle> {
  readonly name: string;
  readonly threads: number;
  readonly isa: string;
  readonly description: string;
  private readonly ctx: NativeContext;
  private readonly opIndex = new Map<string, number>();
  private readonly outIds = new Float64Array(4);
  private lentSinceTurn = 0;

  constructor(
    addon: NativeAddon,
    readonly kernels: KernelTable<NativeHandle, NativeBackend>,
    options: NativeBackendOptions,
  ) {
    this.name = options.name ?? 'native';
    this.ctx = new addon.Context(options.threads ?? 1, options.isa, options.asyncMinFlops ?? DEFAULT_ASYNC_MIN_FLOPS);
    const info = this.ctx.info();
    info.kernels.forEach((k, i) => this.opIndex.set(k, i));
    this.threads = info.threads;
    this.isa = info.isa;
    this.description = `C++ ${info.isa}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  }

  write(values: Float32Array): NativeHandle {
    return new NativeHandle(this.ctx.write(values), values.length);
  }
  adopt(values: Float32Array): NativeHandle {
    return new NativeHandle(this.ctx.adopt(values), values.length);
  }
  readSync(data: NativeHandle, size: number): Float32Array {
    checkReadSize(data, size);
    try {
      return this.ctx.readNew(data.id);
    } catch (e) {
      throw nativeError('read', e);
    }
  }
  read(data: NativeHandle, size: number): Promise<Float32Array> {
    try {
      checkReadSize(data, size);
      const pending = this.ctx.readAsync(data.id);
      if (pending) return pending.catch((e: unknown) => Promise.reject(nativeError('read', e)));
      return afterCollectedBlocks(size, () => this.readSync(data, size));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** `data({copy: false})`: the tensor's own block, lent to JS until the array is collected. */
  view(data: NativeHandle, size: number): Promise<Float32Array> {
    // Lent blocks come back through finalizers that need a turn of the event loop, which an `await`
    // loop of views never gives: one turn per VIEW_TURN_BYTES lent (a turn costs 20–70 µs; small
    // results must not pay it every time, as copies of large ones do).
    return this.lend(data, size, 'view', () => {
      this.lentSinceTurn += size * 4;
      if (this.lentSinceTurn < VIEW_TURN_BYTES) return false;
      this.lentSinceTurn = 0;
      return true;
    });
  }
  /** `tensor.borrow()`: the tensor's own block, detached from the array when the tensor is freed. */
  borrow(data: NativeHandle, size: number): Promise<Float32Array> {
    return this.lend(data, size, 'borrow', () => false);
  }
  /** The block as an array once the queue is done (`turn()`: wait a turn of the event loop first). */
  private lend(data: NativeHandle, size: number, how: 'view' | 'borrow', turn: () => boolean): Promise<Float32Array> {
    try {
      checkReadSize(data, size);
      const lendNow = () => {
        try {
          return this.ctx[how](data.id);
        } catch (e) {
          throw nativeError('read', e);
        }
      };
      const pending = this.ctx.whenIdle();
      if (pending) return pending.then(lendNow, (e: unknown) => Promise.reject(nativeError('read', e)));
      return turn() ? afterCollectedBlocks(size, lendNow) : Promise.resolve(lendNow());
    } catch (e) {
      return Promise.reject(e);
    }
  }
  readInto(data: NativeHandle, out: Float32Array): void {
    try {
      this.ctx.read(data.id, out);
    } catch (e) {
      throw nativeError('read', e);
    }
  }
  free(data: NativeHandle): void {
    this.ctx.free(data.id);
  }
  /**
   * The FMA ceiling of this backend's instruction set at its thread count, GFLOP/s: every pool thread
   * runs independent register-only FMA chains (no memory traffic); best of eight ~10 ms runs after a
   * warm-up (the best run is the one no other process interrupted). Benchmarks divide convolution GFLOP/s by it ("% of peak"). Not part of the kernel contract.
   */
  async peakGflops(): Promise<number> {
    const probe = (iters: number): [number, number] => {
      const [h] = this.run('peakProbe', [], [[2]], [iters]);
      const out = new Float32Array(2);
      this.readInto(h!, out);
      this.free(h!);
      return [out[0]!, out[1]!];
    };
    const [, sec] = probe(1 << 16); // warm-up; wakes the pool
    const iters = Math.max(1, Math.min(1 << 26, Math.round((1 << 16) * (0.01 / Math.max(sec, 1e-6)))));
    let best = 0;
    for (let i = 0; i < 8; i++) {
      best = Math.max(best, probe(iters)[0]);
      await new Promise((resolve) => setImmediate(resolve)); // the event loop runs between runs
    }
    return best;
  }
  /** Resolves when every queued kernel has completed. */
  sync(): Promise<void> {
    return this.ctx.whenIdle() ?? Promise.resolve();
  }
  /** `bytes`: what the backend holds; `viewBytes`: blocks lent to JS arrays by `data({copy: false})`, among them. */
  memory(): { bytes: number; viewBytes: number } {
    const m = this.ctx.memory();
    return { bytes: m.bytes, viewBytes: m.viewBytes };
  }
  /** Live handles (for leak tests). */
  liveCount(): number {
    return this.ctx.liveCount();
  }
  dispose(): void {
    this.ctx.dispose();
  }

  /**
   * Runs kernel `op` on the given inputs (undefined = absent optional input), producing outputs of
   * the given shapes; returns their handles.
   */
  run(op: KernelName | 'peakProbe', inputs: readonly (TensorInfo<NativeHandle> | undefined)[], outShapes: readonly (readonly number[])[], attrs: readonly number[]): NativeHandle[] {
    const index = this.opIndex.get(op);
    if (index === undefined) throw new HypercolumnError(`native: kernel ${op} is not in the addon`, op);
    let n = 3 + attrs.length;
    for (const t of inputs) n += 2 + (t ? t.shape.length : 0);
    for (const s of outShapes) n += 1 + s.length;
    const args = new Float64Array(n);
    let p = 0;
    args[p++] = inputs.length;
    for (const t of inputs) {
      if (!t) {
        args[p++] = -1;
        args[p++] = 0;
        continue;
      }
      args[p++] = t.data.id;
      args[p++] = t.shape.length;
      for (const d of t.shape) args[p++] = d;
    }
    args[p++] = outShapes.length;
    for (const s of outShapes) {
      args[p++] = s.length;
      for (const d of s) args[p++] = d;
    }
    args[p++] = attrs.length;
    for (const a of attrs) args[p++] = a;
    try {
      this.ctx.exec(index, args, this.outIds);
    } catch (e) {
      throw nativeError(op, e);
    }
    return outShapes.map((s, i) => new NativeHandle(this.outIds[i]!, s.reduce((a, b) => a * b, 1)));
  }
}

/**
 * A kernel that forwards to the addon: inputs and outputs in the contract's order (KERNELS),
 * attributes flattened to numbers by `attrs`.
 */
export function nativeKernel<K extends KernelName>(op: K, attrs: (a: KernelAttrs<K>) => number[] = () => []): NativeKernel<K> {
  const inputNames = KERNELS[op].inputs.map((s) => s.replace('?', ''));
  const outputNames = KERNELS[op].outputs;
  const kernel = (inputs: KernelInputs<K, NativeHandle>, a: KernelAttrs<K>, backend: NativeBackend, outShapes: KernelOutputShapes<K>) => {
    const ins = inputNames.map((n) => (inputs as Record<string, TensorInfo<NativeHandle> | undefined>)[n]);
    const shapes = outputNames.map((n) => (outShapes as Record<string, readonly number[]>)[n]!);
    const out = backend.run(op, ins, shapes, attrs(a));
    return outputNames.length === 1 ? out[0] : out;
  };
  return kernel as unknown as NativeKernel<K>;
}
