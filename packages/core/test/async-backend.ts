/**
 * A test backend shaped like WebGPU: opaque handles (objects, not arrays), kernels that only
 * enqueue work which completes later (on a microtask after `flush()`), no `readSync`, and storage
 * kept alive while queued work still reads it. The arithmetic is the cpu backend's kernels run on
 * private buffers, but only the contract is exposed: core cannot tell it from a GPU backend.
 *
 * It deliberately lacks the fused, scalar and optimizer kernels (and sigmoid/tanh/scaledAdd), so
 * core must run its compositions; every kernel without a composition is present, so nothing is
 * "missing", and without `readSync` nothing can fall back to cpu.
 */
import { KERNELS, type Backend, type KernelName, type KernelTable, type TensorInfo } from '../src/index.js';

/** The arithmetic behind the handles: the cpu backend's kernel table and an instance to pass them. */
export interface HostMath {
  kernels: KernelTable<Float32Array, any>;
  backend: Backend<Float32Array>;
}

/** Opaque storage handle: core only passes it around. */
export class DeviceBuffer {
  /** The values, once the work producing them has run (undefined while pending). */
  values: Float32Array | undefined;
  /** Queued jobs that read this buffer. */
  readers = 0;
  freeRequested = false;
  released = false;
  constructor(readonly size: number) {}
}

type Job = () => void;

/** Kernels the test backend leaves to core's compositions. */
export const COMPOSED_ON_ASYNC: readonly KernelName[] = [
  'conv2dFused', 'batchNormInferenceFused', 'frnTlu', 'sigmoid', 'tanh', 'scaledAdd',
  'addScalar', 'mulScalar', 'rdivScalar', 'maximumScalar', 'minimumScalar',
  'sgdStep', 'sgdMomentumStep', 'adamStep', 'agcUnitClip',
];

export class AsyncTestBackend implements Backend<DeviceBuffer> {
  readonly kernels: KernelTable<DeviceBuffer, AsyncTestBackend>;
  readonly threads = 1;
  readonly description = 'test backend: opaque handles, deferred completion, no readSync';
  readonly lost: Promise<string>;
  /** Resolves `lost` (simulates device loss). */
  lose!: (reason: string) => void;
  /** Jobs enqueued since the last flush, and those submitted but not yet run. */
  private queued: Job[] = [];
  private submitted: Job[] = [];
  private running: Promise<void> | undefined;
  private heldBytes = 0;
  flushes = 0;
  constructor(
    private readonly math: HostMath,
    readonly name = 'async',
  ) {
    this.lost = new Promise((resolve) => (this.lose = resolve));
    const table: Record<string, unknown> = {};
    for (const name of Object.keys(math.kernels) as KernelName[]) {
      if (!COMPOSED_ON_ASYNC.includes(name)) table[name] = this.deferred(name);
    }
    this.kernels = table as KernelTable<DeviceBuffer, AsyncTestBackend>;
  }

  /** Wraps cpu kernel `name`: returns fresh handles now, computes them when the queue runs. */
  private deferred(name: KernelName) {
    const kernel = this.math.kernels[name] as (i: unknown, a: unknown, b: unknown, s: unknown) => Float32Array | Float32Array[];
    const outputs = KERNELS[name].outputs;
    return (inputs: Record<string, TensorInfo<DeviceBuffer>>, attrs: unknown, _backend: unknown, outShapes: Record<string, readonly number[]>) => {
      const ins = Object.entries(inputs).filter(([, v]) => v !== undefined);
      for (const [, info] of ins) {
        if (!(info.data instanceof DeviceBuffer) || info.data.released) throw new Error(`${name}: input handle is not live`);
        info.data.readers++;
      }
      const outs = outputs.map((o) => new DeviceBuffer(outShapes[o]!.reduce((a, b) => a * b, 1)));
      this.queued.push(() => {
        for (const [k, info] of ins) {
          if (!info.data.values) throw new Error(`${name}: input ${k} has no values (released ${info.data.released}, free requested ${info.data.freeRequested})`);
        }
        const cpuInputs = Object.fromEntries(ins.map(([k, info]) => [k, { data: info.data.values!, shape: info.shape }]));
        const result = kernel(cpuInputs, attrs, this.math.backend, outShapes);
        const list = outputs.length === 1 ? [result as Float32Array] : (result as Float32Array[]);
        outs.forEach((h, i) => this.fill(h, list[i]!));
        for (const [, info] of ins) this.doneReading(info.data);
      });
      return outputs.length === 1 ? outs[0]! : outs;
    };
  }

  private fill(h: DeviceBuffer, values: Float32Array): void {
    if (values.length !== h.size) throw new Error(`output of ${values.length} elements for a handle of ${h.size}`);
    // freed before it was computed, and no queued work reads it: nothing to keep
    if (h.released) return;
    h.values = values;
    this.heldBytes += values.length * 4;
  }

  private doneReading(h: DeviceBuffer): void {
    h.readers--;
    if (h.freeRequested && h.readers === 0) this.release(h);
  }

  private release(h: DeviceBuffer): void {
    if (h.released) return;
    h.released = true;
    if (h.values) this.heldBytes -= h.values.length * 4;
    h.values = undefined;
  }

  write(values: Float32Array): DeviceBuffer {
    const h = new DeviceBuffer(values.length);
    this.fill(h, values.slice());
    return h;
  }

  /** Submits queued work; it completes on a later microtask. */
  flush(): void {
    this.flushes++;
    if (this.queued.length === 0) return;
    this.submitted.push(...this.queued);
    this.queued = [];
    this.running ??= Promise.resolve().then(() => {
      while (this.submitted.length) this.submitted.shift()!();
      this.running = undefined;
    });
  }

  async sync(): Promise<void> {
    this.flush();
    while (this.running) await this.running;
  }

  async read(h: DeviceBuffer, size: number): Promise<Float32Array> {
    await this.sync();
    if (!h.values) throw new Error('read of a released handle');
    return h.values.slice(0, size);
  }

  /** Storage may be freed while queued work still reads it: released once that work has run. */
  free(h: DeviceBuffer): void {
    h.freeRequested = true;
    if (h.readers === 0) this.release(h);
  }

  /** Bytes of every buffer still held (pending frees included). */
  memory(): { bytes: number } {
    return { bytes: this.heldBytes };
  }

  /** Jobs enqueued and not yet run. */
  get pendingJobs(): number {
    return this.queued.length + this.submitted.length;
  }
}
