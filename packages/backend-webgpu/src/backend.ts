import { HypercolumnError, type Backend, type KernelImpl, type KernelName, type KernelTable } from '@hypercolumn/core';
import type { GpuContext } from './device.js';
import { packUniforms, program, type Program, type ProgramDef, type UniformValues } from './shader.js';

// WebGPU's flag values (spec constants), so nothing depends on GPUBufferUsage being a global in Node.
const BUFFER_MAP_READ = 0x1, BUFFER_COPY_SRC = 0x4, BUFFER_COPY_DST = 0x8, BUFFER_UNIFORM = 0x40, BUFFER_STORAGE = 0x80;
const MAP_MODE_READ = 0x1;
const STAGE_COMPUTE = 0x4;

/** A tensor's storage on the GPU: a pooled buffer (possibly larger than needed) and its length. */
export interface GpuData {
  readonly buffer: GPUBuffer;
  readonly elements: number;
  freed: boolean;
}

/** A WebGPU kernel: enqueues compute passes and returns fresh handles. */
export type GpuKernel<K extends KernelName> = KernelImpl<K, GpuData, WebGpuBackend>;

/** Dispatches recorded before a batch is submitted even without a flush (keeps the GPU fed). */
const MAX_BATCH_DISPATCHES = 256;
/** Freed buffers kept for reuse beyond this many bytes are destroyed. */
const MAX_POOLED_BYTES = 256 * 1024 * 1024;
/** Read-back (map-read) buffers kept for reuse beyond this many bytes are destroyed. */
const MAX_STAGING_BYTES = 64 * 1024 * 1024;
const MAX_CACHED_UNIFORMS = 4096;

/** Buffer size classes: steps of a quarter of the power of two below, so at most 25 % is wasted. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return Math.max(16, Math.ceil(bytes / 16) * 16);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / step) * step;
}

interface CachedPipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

/**
 * The WebGPU backend. Kernels record compute dispatches into one open command encoder; `flush`
 * submits it. A buffer freed while the open batch may still read it returns to the pool only once
 * that batch is submitted, so a later `queue.writeBuffer` (which runs ahead of unsubmitted work)
 * can never overwrite data a recorded dispatch still needs. Reads are asynchronous only.
 */
export class WebGpuBackend implements Backend<GpuData> {
  readonly name: string;
  readonly priority: number;
  readonly description: string;
  readonly lost: Promise<string>;
  readonly device: GPUDevice;
  readonly isFallbackAdapter: boolean;
  private lostReason: string | null = null;
  private firstError: string | null = null;
  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooledBytes = 0;
  private allocatedBytes = 0;
  private pendingFree: GPUBuffer[] = [];
  /**
   * Map-read buffers of finished reads, by size: a fresh one costs far more than the copy (the
   * implementation zero-fills it), which on software adapters dominates the read of a large tensor.
   */
  private readonly staging = new Map<number, GPUBuffer[]>();
  private stagingBytes = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private batchDispatches = 0;
  private errorScopes: Promise<GPUError | null>[] = [];
  private readonly pipelines = new Map<string, CachedPipeline>();
  private readonly uniformCache = new Map<string, GPUBuffer>();
  private readonly maxBindingBytes: number;
  private readonly maxWorkgroupsPerDimension: number;
  private disposed = false;

  constructor(
    readonly context: GpuContext,
    readonly kernels: KernelTable<GpuData, WebGpuBackend>,
    options: { name: string; priority: number },
  ) {
    this.name = options.name;
    this.priority = options.priority;
    this.device = context.device;
    this.isFallbackAdapter = context.isFallback;
    this.description = `WebGPU on ${context.description}`;
    const limits = this.device.limits;
    this.maxBindingBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    this.maxWorkgroupsPerDimension = limits.maxComputeWorkgroupsPerDimension;
    this.lost = this.device.lost.then((info) => {
      const reason = `WebGPU device lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`;
      this.lostReason = reason;
      return reason;
    });
    this.device.addEventListener('uncapturederror', (event) => {
      this.firstError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  /** Throws when the device is gone or the backend disposed. */
  private checkUsable(what: string): void {
    if (this.lostReason !== null) throw new HypercolumnError(`${what}: the webgpu backend is unavailable: ${this.lostReason}`, what);
    if (this.disposed) throw new HypercolumnError(`${what}: the webgpu backend was disposed`, what);
  }

  // ------------------------------------------------------------------ storage

  /** A buffer of at least `elements` float32 values from the pool (contents undefined). */
  alloc(elements: number, op = 'webgpu'): GpuData {
    this.checkUsable(op);
    const bytes = elements * 4;
    if (!(bytes > 0) || bytes > this.maxBindingBytes) {
      throw new HypercolumnError(
        `${op}: a tensor of ${elements} elements (${bytes} bytes) exceeds the WebGPU adapter's storage binding limit of ${this.maxBindingBytes} bytes`,
        op,
      );
    }
    const size = sizeClass(bytes);
    const free = this.pool.get(size);
    let buffer = free?.pop();
    if (buffer) this.pooledBytes -= size;
    else {
      buffer = this.device.createBuffer({ size, usage: BUFFER_STORAGE | BUFFER_COPY_SRC | BUFFER_COPY_DST });
      this.allocatedBytes += size;
    }
    return { buffer, elements, freed: false };
  }

  /** Uploads into a pooled buffer: `queue.writeBuffer` lands before any later-submitted dispatch. */
  write(values: Float32Array, _shape?: readonly number[]): GpuData {
    const data = this.alloc(Math.max(values.length, 1), 'tensor');
    if (values.length > 0) this.device.queue.writeBuffer(data.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
    return data;
  }

  free(data: GpuData): void {
    if (data.freed) return;
    data.freed = true;
    if (this.disposed || this.lostReason !== null) return;
    if (this.encoder) this.pendingFree.push(data.buffer);
    else this.recycle(data.buffer);
  }

  private recycle(buffer: GPUBuffer): void {
    const size = buffer.size;
    if (this.pooledBytes + size > MAX_POOLED_BYTES) {
      buffer.destroy();
      this.allocatedBytes -= size;
      return;
    }
    let list = this.pool.get(size);
    if (!list) this.pool.set(size, (list = []));
    list.push(buffer);
    this.pooledBytes += size;
  }

  /** GPU bytes held: live tensors, the pool and cached uniforms. */
  memory(): { bytes: number } {
    return { bytes: this.allocatedBytes };
  }

  // ------------------------------------------------------------------ dispatch

  private pipeline(prog: Program): CachedPipeline {
    let cached = this.pipelines.get(prog.def.name);
    if (cached) return cached;
    const limit = this.device.limits.maxComputeWorkgroupStorageSize;
    if (prog.workgroupBytes > limit) {
      throw new HypercolumnError(`${prog.def.name}: needs ${prog.workgroupBytes} bytes of workgroup storage, the adapter allows ${limit}`, prog.def.name);
    }
    const storage = prog.def.inputs.length + prog.def.outputs.length;
    if (storage > this.device.limits.maxStorageBuffersPerShaderStage) {
      throw new HypercolumnError(`${prog.def.name}: needs ${storage} storage buffers, the adapter allows ${this.device.limits.maxStorageBuffersPerShaderStage}`, prog.def.name);
    }
    const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: STAGE_COMPUTE, buffer: { type: 'uniform' } }];
    prog.def.inputs.forEach((_, k) => entries.push({ binding: k + 1, visibility: STAGE_COMPUTE, buffer: { type: 'read-only-storage' } }));
    prog.def.outputs.forEach((_, k) =>
      entries.push({ binding: k + 1 + prog.def.inputs.length, visibility: STAGE_COMPUTE, buffer: { type: 'storage' } }),
    );
    const layout = this.device.createBindGroupLayout({ entries });
    const module = this.device.createShaderModule({ code: prog.code, label: prog.def.name });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
      label: prog.def.name,
    });
    cached = { pipeline, layout };
    this.pipelines.set(prog.def.name, cached);
    return cached;
  }

  /** Compiled pipelines (warm-up benchmarks count them). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Immutable uniform buffers, shared by every dispatch with the same values. */
  private uniformBuffer(bytes: ArrayBuffer): GPUBuffer {
    const key = new Uint32Array(bytes).join(',');
    let buffer = this.uniformCache.get(key);
    if (buffer) {
      this.uniformCache.delete(key); // most recently used last
      this.uniformCache.set(key, buffer);
      return buffer;
    }
    buffer = this.device.createBuffer({ size: bytes.byteLength, usage: BUFFER_UNIFORM, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(bytes));
    buffer.unmap();
    this.allocatedBytes += bytes.byteLength;
    this.uniformCache.set(key, buffer);
    return buffer;
  }

  private openPass(): GPUComputePassEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('out-of-memory');
      this.device.pushErrorScope('validation');
      this.encoder = this.device.createCommandEncoder();
    }
    this.pass ??= this.encoder.beginComputePass();
    return this.pass;
  }

  /**
   * Records one dispatch of `def` over `count` indices (elements or workgroups, by its `work`).
   * Inputs are bound read-only, outputs read-write, in the order the program lists them.
   */
  run(def: ProgramDef, inputs: readonly GpuData[], outputs: readonly GpuData[], uniforms: UniformValues, count: number): void {
    const op = def.name;
    this.checkUsable(op);
    if (count <= 0) return;
    const prog = program(def);
    const { pipeline, layout } = this.pipeline(prog);
    for (const d of [...inputs, ...outputs]) {
      if (d.freed) throw new HypercolumnError(`${op}: a tensor used after it was disposed`, op);
    }
    const groups = def.work === 'element' ? Math.ceil(count / prog.workgroupSize) : count;
    const gx = Math.min(groups, this.maxWorkgroupsPerDimension);
    const gy = Math.ceil(groups / gx);
    if (gy > this.maxWorkgroupsPerDimension) {
      throw new HypercolumnError(`${op}: ${groups} workgroups exceed the adapter's dispatch limit`, op);
    }
    const countName = def.work === 'element' ? 'total' : 'groupCount';
    const uniform = this.uniformBuffer(packUniforms(prog, { ...uniforms, [countName]: count }));
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: uniform } }];
    [...inputs, ...outputs].forEach((d, k) => entries.push({ binding: k + 1, resource: { buffer: d.buffer } }));
    const bindGroup = this.device.createBindGroup({ layout, entries });
    const pass = this.openPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy);
    if (++this.batchDispatches >= MAX_BATCH_DISPATCHES) this.flush();
  }

  /** Submits the open batch; buffers freed during it become reusable. */
  flush(): void {
    if (!this.encoder || this.lostReason !== null) return;
    this.pass?.end();
    this.pass = null;
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.batchDispatches = 0;
    const validation = this.device.popErrorScope();
    const oom = this.device.popErrorScope();
    this.errorScopes.push(validation, oom);
    for (const b of this.pendingFree) this.recycle(b);
    this.pendingFree = [];
    while (this.uniformCache.size > MAX_CACHED_UNIFORMS) {
      const [key, buffer] = this.uniformCache.entries().next().value as [string, GPUBuffer];
      this.uniformCache.delete(key);
      this.allocatedBytes -= buffer.size;
      buffer.destroy(); // safe after submit: WebGPU keeps it alive for the submitted work
    }
  }

  /** Rejects with the first GPU error recorded since the backend started (errors are sticky). */
  private async checkErrors(op: string): Promise<void> {
    const scopes = this.errorScopes;
    this.errorScopes = [];
    for (const err of await Promise.all(scopes)) if (err) this.firstError ??= err.message;
    if (this.firstError !== null) throw new HypercolumnError(`${op}: WebGPU error: ${this.firstError}`, op);
  }

  /** Waits for `promise`, or rejects with a HypercolumnError if the device is lost first. */
  private unlessLost<T>(promise: Promise<T>, op: string): Promise<T> {
    const lost = this.lost.then((reason) => {
      throw new HypercolumnError(`${op}: the webgpu backend is unavailable: ${reason}`, op);
    });
    return Promise.race([promise, lost]);
  }

  async read(data: GpuData, size: number): Promise<Float32Array> {
    this.checkUsable('data');
    if (data.freed) throw new HypercolumnError('data: the tensor was disposed', 'data');
    this.flush();
    const bytes = size * 4;
    const staging = this.stagingBuffer(sizeClass(bytes));
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(data.buffer, 0, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    try {
      await this.unlessLost(staging.mapAsync(MAP_MODE_READ, 0, bytes), 'data');
      await this.checkErrors('data');
      return new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    } catch (err) {
      if (err instanceof HypercolumnError) throw err;
      throw new HypercolumnError(`data: reading from the GPU failed: ${(err as Error).message ?? err}`, 'data');
    } finally {
      if (staging.mapState === 'mapped') staging.unmap();
      this.recycleStaging(staging);
    }
  }

  private stagingBuffer(size: number): GPUBuffer {
    const buffer = this.staging.get(size)?.pop();
    if (buffer) {
      this.stagingBytes -= size;
      return buffer;
    }
    this.allocatedBytes += size;
    return this.device.createBuffer({ size, usage: BUFFER_MAP_READ | BUFFER_COPY_DST });
  }

  private recycleStaging(buffer: GPUBuffer): void {
    if (this.disposed || this.lostReason !== null || buffer.mapState !== 'unmapped' || this.stagingBytes + buffer.size > MAX_STAGING_BYTES) {
      this.allocatedBytes -= buffer.size;
      buffer.destroy();
      return;
    }
    let list = this.staging.get(buffer.size);
    if (!list) this.staging.set(buffer.size, (list = []));
    list.push(buffer);
    this.stagingBytes += buffer.size;
  }

  async sync(): Promise<void> {
    this.checkUsable('sync');
    this.flush();
    await this.unlessLost(this.device.queue.onSubmittedWorkDone(), 'sync');
    await this.checkErrors('sync');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.encoder = null;
    this.pass = null;
    this.pool.clear();
    this.staging.clear();
    this.uniformCache.clear();
    this.pipelines.clear();
    this.allocatedBytes = 0;
    this.pooledBytes = 0;
    this.stagingBytes = 0;
    this.device.destroy();
  }
}
