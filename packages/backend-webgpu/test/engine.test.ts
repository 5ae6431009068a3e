// The webgpu backend through the engine: a training step without any synchronous read, and a forced
// device loss (tensors raise HypercolumnError, the backend reports unavailable, nothing hangs, and a
// re-registered backend starts on a new device).
import * as hc from '@hypercolumn/core';
import { describe, expect, it } from 'vitest';
import { createWebGpuBackend } from '../src/index.js';
import { getGpu } from './gpu.js';

const gpu = await getGpu();

describe.skipIf(!gpu)('webgpu through the engine', () => {
  it('trains a small conv net with SGD on the GPU with no fallback and no sync read', async () => {
    await hc.setBackend('webgpu');
    hc.manualSeed(1);
    const net = new hc.nn.Sequential(
      new hc.nn.Conv2d(1, 4, 3, { padding: 1 }), new hc.nn.BatchNorm2d(4), new hc.nn.ReLU(), new hc.nn.MaxPool2d(2),
      new hc.nn.Flatten(), new hc.nn.Linear(4 * 4 * 4, 3),
    );
    const opt = new hc.optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = hc.randn([6, 1, 8, 8]);
    const labels = hc.tensor(new Float32Array([0, 1, 2, 0, 1, 2]), [6]);
    const losses: number[] = [];
    const routes = new Set<string>();
    for (let step = 0; step < 8; step++) {
      const { result: loss, launches } = hc.traceKernels(() => {
        opt.zeroGrad();
        const l = hc.crossEntropy(net.forward(x), labels);
        l.backward();
        opt.step();
        return l;
      });
      for (const l of launches) routes.add(`${l.backend}:${l.route}`);
      losses.push((await loss.data())[0]!);
      loss.dispose();
    }
    expect([...routes].filter((r) => r !== 'webgpu:native')).toEqual([]);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    const info = (await hc.listBackends()).find((b) => b.name === 'webgpu')!;
    expect(info.available).toBe(true);
  });

  it('device loss: pending reads reject, tensors raise HypercolumnError, the backend is unavailable, and it can be re-created', async () => {
    let backend: Awaited<ReturnType<typeof createWebGpuBackend>> | undefined;
    hc.registerBackend('webgpu', async () => (backend = await createWebGpuBackend()), hc.DEFAULT_PRIORITIES.webgpu);
    await hc.setBackend('webgpu');
    const t = hc.tensor(new Float32Array([1, -2, 3]), [3]);
    const y = hc.relu(t);
    // a read still in flight when the device goes: queued behind a convolution that takes a while
    const big = hc.conv2d(hc.ones([1, 32, 64, 64]), hc.ones([32, 32, 3, 3]), null, { padding: 1 });
    const pending = big.data();
    expect(backend!.memory().bytes).toBeGreaterThan(0);
    backend!.device.destroy(); // forced loss
    expect(await backend!.lost).toMatch(/device lost/);
    // nothing hangs: the pending read rejects (the test timeout would catch a hang)
    await expect(pending).rejects.toThrow(hc.HypercolumnError);
    // every use of a live tensor names the loss
    await expect(y.data()).rejects.toThrow(/lost/);
    await expect(t.data()).rejects.toThrow(hc.HypercolumnError);
    expect(() => hc.relu(t)).toThrow(hc.HypercolumnError);
    expect(() => hc.add(t, y)).toThrow(/lost/);
    // the backend reports unavailable with the reason; sync and dispose do not hang or throw
    const info = (await hc.listBackends()).find((b) => b.name === 'webgpu')!;
    expect(info.available).toBe(false);
    expect(info.reason).toMatch(/lost/);
    await hc.sync();
    for (const d of [t, y, big]) d.dispose();
    // a new backend on a new device works
    hc.registerBackend('webgpu', () => createWebGpuBackend(), hc.DEFAULT_PRIORITIES.webgpu);
    await hc.setBackend('webgpu');
    const z = hc.relu(hc.tensor(new Float32Array([1, -2, 3]), [3]));
    expect(Array.from(await z.data())).toEqual([1, 0, 3]);
    expect((await hc.listBackends()).find((b) => b.name === 'webgpu')!.available).toBe(true);
  });
});
