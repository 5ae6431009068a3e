import { HypercolumnError, listBackends } from '@hypercolumn/core';
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend, FALLBACK_ADAPTER_PRIORITY, sizeClass, webgpuKernels } from '../src/index.js';
import { getGpu } from './gpu.js';

const gpu = await getGpu();

describe('webgpu backend without a device', () => {
  it('registers itself; available exactly when a device starts, else with the reason', async () => {
    const info = (await listBackends()).find((b) => b.name === 'webgpu');
    expect(info).toBeDefined();
    expect(info!.available).toBe(gpu !== undefined);
    if (!info!.available) expect(info!.reason).toMatch(/adapter|webgpu|navigator/i);
  });
  it('size classes waste at most a quarter and never shrink', () => {
    for (const bytes of [4, 16, 17, 256, 257, 1000, 4096, 5000, 123456, 1 << 24]) {
      const c = sizeClass(bytes);
      expect(c).toBeGreaterThanOrEqual(bytes);
      expect(c).toBeLessThanOrEqual(Math.max(16, bytes * 1.25 + 16));
      expect(c % 16).toBe(0);
    }
  });
  it('implements every kernel of the contract', async () => {
    const { kernelNames } = await import('@hypercolumn/core');
    expect(kernelNames.filter((k) => !(k in webgpuKernels))).toEqual([]);
  });
});

describe.skipIf(!gpu)('webgpu backend storage and scheduling', () => {
  it('has no synchronous read', () => {
    expect((gpu as { readSync?: unknown }).readSync).toBeUndefined();
  });

  it('ranks a software adapter below wasm', () => {
    if (gpu!.isFallbackAdapter) expect(gpu!.priority).toBe(FALLBACK_ADAPTER_PRIORITY);
    expect(gpu!.description).toMatch(/WebGPU/);
  });

  it('keeps a freed buffer alive for the work already recorded on it', async () => {
    const n = 4096;
    const x = gpu!.write(Float32Array.from({ length: n }, (_, i) => i), [n]);
    const y = webgpuKernels.mulScalar!({ x: { data: x, shape: [n] } }, { value: 2 }, gpu!, { y: [n] });
    gpu!.free(x); // the recorded mulScalar still reads x
    // same size class: without the deferral this write would land in x's buffer before mulScalar ran
    const z = gpu!.write(new Float32Array(n).fill(-1), [n]);
    const got = await gpu!.read(y, n);
    expect(got[0]).toBe(0);
    expect(got[n - 1]).toBe(2 * (n - 1));
    expect(Array.from(got).every((v, i) => v === 2 * i)).toBe(true);
    gpu!.free(y);
    gpu!.free(z);
  });

  it('reuses pooled buffers: memory stays flat over repeated work', async () => {
    const n = 1000;
    const step = async () => {
      const x = gpu!.write(new Float32Array(n).fill(1), [n]);
      const y = webgpuKernels.exp!({ x: { data: x, shape: [n] } }, {}, gpu!, { y: [n] });
      gpu!.free(x);
      await gpu!.read(y, n);
      gpu!.free(y);
    };
    await step();
    const before = gpu!.memory().bytes;
    for (let k = 0; k < 5; k++) await step();
    expect(gpu!.memory().bytes).toBe(before);
    expect(before).toBeGreaterThan(0);
  });

  it('checks adapter limits before allocating and dispatching', () => {
    const limit = gpu!.device.limits.maxStorageBufferBindingSize;
    const elements = Math.floor(limit / 4) + 1;
    expect(() => webgpuKernels.fill!({}, { value: 0 }, gpu!, { y: [elements] })).toThrow(HypercolumnError);
    expect(() => webgpuKernels.fill!({}, { value: 0 }, gpu!, { y: [elements] })).toThrow(/fill: .*exceeds the WebGPU adapter's storage binding limit/);
    const y = gpu!.alloc(4);
    // workgroup memory: a reduction scratch of 16 bytes per invocation, far past any adapter's limit
    const greedy = { name: 'test_greedy_workgroup', inputs: [], outputs: ['y'], work: 'group', workgroupSize: 1 << 16, body: '' } as const;
    expect(() => gpu!.run(greedy, [], [y], {}, 1)).toThrow(/test_greedy_workgroup: needs 1048576 bytes of workgroup storage, the adapter allows \d+/);
    // the dispatch grid: more workgroups than two dimensions of maxComputeWorkgroupsPerDimension
    const wide = { name: 'test_wide_dispatch', inputs: [], outputs: ['y'], work: 'element', body: 'y[0] = 0.0;' } as const;
    expect(() => gpu!.run(wide, [], [y], {}, 2 ** 45)).toThrow(/test_wide_dispatch: .* workgroups exceed the adapter's dispatch limit/);
    gpu!.free(y);
  });

  it('sync resolves once queued work is done', async () => {
    const y = webgpuKernels.fill!({}, { value: 3 }, gpu!, { y: [10] });
    await gpu!.sync();
    expect(Array.from(await gpu!.read(y, 10))).toEqual(new Array(10).fill(3));
    gpu!.free(y);
  });
});

describe.skipIf(!gpu)('webgpu device loss', () => {
  it('reports lost, raises HypercolumnError, never hangs, and can be re-created', async () => {
    const backend = await createWebGpuBackend();
    const x = backend.write(new Float32Array([1, 2, 3]), [3]);
    const y = webgpuKernels.neg!({ x: { data: x, shape: [3] } }, {}, backend, { y: [3] });
    // a read in flight when the device goes (mapping cannot complete before the destroy below)
    const pending = backend.read(y, 3);
    backend.device.destroy(); // forced loss
    const reason = await backend.lost;
    expect(reason).toMatch(/device lost/);
    await expect(pending).rejects.toThrow(HypercolumnError);
    await expect(backend.read(x, 3)).rejects.toThrow(HypercolumnError);
    await expect(backend.sync()).rejects.toThrow(/unavailable: WebGPU device lost/);
    expect(() => backend.write(new Float32Array(3), [3])).toThrow(/unavailable: WebGPU device lost/);
    expect(() => webgpuKernels.neg!({ x: { data: x, shape: [3] } }, {}, backend, { y: [3] })).toThrow(HypercolumnError);
    backend.free(x); // freeing after loss is harmless
    const again = await createWebGpuBackend();
    const z = again.write(new Float32Array([4]), [1]);
    expect(Array.from(await again.read(z, 1))).toEqual([4]);
    again.dispose();
  });
});
