import { createCpuBackend, cpuKernels } from '@hypercolumn/backend-cpu';
import { expectHcError } from './helpers.js';
import * as hc from '@hypercolumn/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

beforeAll(async () => {
  await hc.setBackend('cpu');
});
afterEach(async () => {
  await hc.setBackend('cpu');
});

describe('registry', () => {
  it('lists backends with availability, reason and kernels', async () => {
    hc.registerBackend('broken', () => {
      throw new Error('no adapter found');
    }, 9);
    const list = await hc.listBackends();
    const broken = list.find((b) => b.name === 'broken')!;
    expect(broken).toMatchObject({ available: false, reason: 'no adapter found', kernels: [] });
    const cpu = list.find((b) => b.name === 'cpu')!;
    expect(cpu.available).toBe(true);
    expect(new Set(cpu.kernels)).toEqual(new Set(hc.kernelNames));
    expect(list[0]!.name).toBe('broken'); // sorted by priority
    await expect(hc.setBackend('broken')).rejects.toThrow(/"broken" is not available: no adapter found/);
    await expect(hc.setBackend('nope')).rejects.toBeInstanceOf(hc.HypercolumnError);
    // ready() skips the unavailable backend
    hc.removeBackend('broken');
  });

  it('ready() picks the highest-priority available backend', async () => {
    hc.registerBackend('cpu-high', () => createCpuBackend({ name: 'cpu-high' }), 50);
    hc.registerBackend('failing', async () => {
      throw new Error('addon not built');
    }, 60);
    // reset the current choice by re-registering cpu
    expect(await hc.ready()).toBe('cpu');
    await hc.setBackend('cpu-high');
    expect(hc.getBackend()).toBe('cpu-high');
    hc.removeBackend('cpu-high');
    hc.removeBackend('failing');
  });

  it('resolves a missing kernel to a composition on the same backend, else to cpu (warning once per op)', async () => {
    const { relu: _relu, reluBackward: _rb, ...partialKernels } = cpuKernels;
    const partial = createCpuBackend({ name: 'partial', kernels: partialKernels });
    const launched: string[] = [];
    // record which kernels run on the partial backend (composites run there, fallbacks on cpu)
    const spied = Object.fromEntries(
      Object.entries(partialKernels).map(([k, f]) => [k, (...args: unknown[]) => (launched.push(k), (f as (...a: unknown[]) => unknown)(...args))]),
    );
    hc.registerBackend('partial', () => createCpuBackend({ name: 'partial', kernels: spied as typeof partialKernels }), 0);
    await hc.setBackend('partial');
    const info = (await hc.listBackends()).find((b) => b.name === 'partial')!;
    expect(info.kernels).not.toContain('relu');
    expect(info.resolution.relu).toBe('composite');
    expect(info.resolution.reluBackward).toBe('fallback');
    expect(info.resolution.conv2d).toBe('native');
    expect(hc.kernelResolution(partial, 'sigmoid')).toBe('native');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const x = hc.tensor([-1, 2, -3, 4], [4], { requiresGrad: true });
    const y = hc.relu(x);
    expect(launched).toContain('maximumScalar');
    expect(warn).not.toHaveBeenCalled();
    hc.sum(y).backward();
    const y2 = hc.relu(x);
    hc.sum(y2).backward();
    expect(y.backend).toBe('partial');
    expect(Array.from(y.dataSync())).toEqual([0, 2, 0, 4]);
    expect(Array.from(x.grad!.dataSync())).toEqual([0, 2, 0, 2]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain('reluBackward');
    warn.mockRestore();
    for (const t of [x, y, y2]) t.dispose();
    hc.removeBackend('partial');
  });

  it('a kernel with no composition on a backend without readSync is "missing", named in the error', async () => {
    const { reluBackward: _rb, ...kernels } = cpuKernels;
    const base = createCpuBackend({ name: 'noread', kernels });
    // the same storage, but no synchronous read: the cpu fallback is impossible
    const noRead = { name: 'noread', kernels, write: base.write.bind(base), read: base.read.bind(base), free: base.free.bind(base) };
    hc.registerBackend('noread', () => noRead, 0);
    const info = (await hc.listBackends()).find((b) => b.name === 'noread')!;
    expect(info.resolution.reluBackward).toBe('missing');
    expect(info.resolution.relu).toBe('native');
    const x = hc.tensor([-1, 2], [2], { backend: 'noread', requiresGrad: true });
    const y = hc.relu(x);
    expect(() => hc.sum(y).backward()).toThrow(/reluBackward: backend "noread" expected to implement this kernel/);
    for (const t of [x, y]) t.dispose();
    hc.removeBackend('noread');
  });

  it('flushes before reads and after backward; a lost backend is unavailable and its tensors raise', async () => {
    let flushes = 0;
    let lose!: (reason: string) => void;
    const lost = new Promise<string>((resolve) => (lose = resolve));
    hc.registerBackend('fragile', () => Object.assign(createCpuBackend({ name: 'fragile' }), { flush: () => void flushes++, lost }), 0);
    const x = hc.tensor([1, -2], [2], { backend: 'fragile', requiresGrad: true });
    const y = hc.sum(hc.relu(x));
    flushes = 0;
    y.backward();
    expect(flushes).toBeGreaterThan(0);
    flushes = 0;
    expect(Array.from(await x.grad!.data())).toEqual([1, 0]);
    expect(flushes).toBe(1);
    await hc.sync();
    lose('device removed');
    await lost;
    await Promise.resolve();
    const info = (await hc.listBackends()).find((b) => b.name === 'fragile')!;
    expect(info.available).toBe(false);
    expect(info.reason).toContain('device removed');
    expectHcError(() => hc.relu(x), 'relu: x expected a tensor on an available backend', '"fragile"', 'device removed');
    await expect(x.data()).rejects.toThrow(/lost: device removed/);
    await expect(hc.setBackend('fragile')).rejects.toThrow(/not available: lost: device removed/);
    for (const t of [x, y]) t.dispose();
    hc.removeBackend('fragile');
  });

  it('refuses inputs from two backends, and moves tensors with to()', async () => {
    hc.registerBackend('other', () => createCpuBackend({ name: 'other' }), 0);
    const a = hc.tensor([1, 2], [2], { backend: 'cpu' });
    const b = hc.tensor([3, 4], [2], { backend: 'other' });
    expect(() => hc.add(a, b)).toThrow(/on backend "cpu".*got one on "other"/);
    const moved = b.to('cpu');
    const sum = hc.add(a, moved);
    expect(Array.from(await sum.data())).toEqual([4, 6]);
    for (const t of [a, b, moved, sum]) t.dispose();
    hc.removeBackend('other');
  });
});

describe('tensors, scope and memory', () => {
  it('data() and dataSync() copy out; item() reads scalars', async () => {
    const x = hc.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(x.shape).toEqual([2, 3]);
    expect(x.size).toBe(6);
    const d = await x.data();
    d[0] = 99;
    expect(x.dataSync()[0]).toBe(1);
    expect(hc.scalar(7).item()).toBe(7);
    x.dispose();
  });

  it('scope disposes what it does not return, nested scopes move returned tensors out', () => {
    const start = hc.memory();
    const kept = hc.scope(() => {
      const a = hc.ones([2, 2]);
      const inner = hc.scope(() => {
        const b = hc.add(a, 1);
        hc.mul(b, 3);
        return b;
      });
      return { result: hc.add(inner, a) };
    });
    expect(hc.memory().numTensors).toBe(start.numTensors + 1);
    expect(Array.from(kept.result.dataSync())).toEqual([3, 3, 3, 3]);
    kept.result.dispose();
    expect(hc.memory()).toEqual(start);
  });

  it('scope and noGrad reject async functions and functions returning a promise, leaving nothing behind', async () => {
    const start = hc.memory().numTensors;
    expectHcError(() => hc.scope(async () => hc.ones([3])), 'scope: fn expected a synchronous function, got an async function');
    expectHcError(() => hc.noGrad(async () => 1), 'noGrad: fn expected a synchronous function, got an async function');
    expectHcError(() => hc.scope(() => Promise.resolve(hc.ones([2]))), 'scope: fn expected a synchronous function, got a function returning a promise');
    expectHcError(() => hc.noGrad(() => Promise.resolve(1)), 'noGrad', 'a function returning a promise');
    expect(hc.isGradEnabled()).toBe(true);
    expect(hc.memory().numTensors).toBe(start);
  });

  it('concurrent async code does not interfere: each task scopes its synchronous parts', async () => {
    const start = hc.memory().numTensors;
    const task = async (k: number) => {
      const s = hc.scope(() => hc.sum(hc.mul(hc.ones([4]), k)));
      await Promise.resolve();
      const value = await s.itemAsync();
      s.dispose();
      return value;
    };
    expect(await Promise.all([task(1), task(2), task(3)])).toEqual([4, 8, 12]);
    expect(hc.memory().numTensors).toBe(start);
  });

  it('memory() reports tensors and bytes per backend, views share storage', () => {
    const before = hc.memory();
    const x = hc.zeros([4, 5]);
    const v = hc.reshape(x, [20]);
    const after = hc.memory();
    expect(after.numTensors - before.numTensors).toBe(2);
    expect(after.numBytes - before.numBytes).toBe(80); // one storage for both
    expect(after.backends.cpu!.bytes - (before.backends.cpu?.bytes ?? 0)).toBe(80);
    x.dispose();
    expect(Array.from(v.dataSync())).toHaveLength(20); // the view keeps the storage alive
    v.dispose();
    expect(hc.memory()).toEqual(before);
  });
});

describe('ready() and priorities', () => {
  it('an op before ready() picks cpu with a warning while a higher-priority backend starts; ready() then switches', async () => {
    let finish!: () => void;
    const started = new Promise<void>((resolve) => (finish = resolve));
    const slowFactory = async () => {
      await started;
      return createCpuBackend({ name: 'slow' });
    };
    // a fresh registry state: unregister and re-register so nothing is chosen yet
    hc.registerBackend('slow', slowFactory, 50);
    hc.registerBackend('cpu', () => createCpuBackend(), hc.DEFAULT_PRIORITIES.cpu); // drops the current choice
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const early = hc.zeros([2]);
    expect(early.backend).toBe('cpu');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/before `await hc.ready\(\)` and picked "cpu" while "slow".*still starting/);
    warn.mockRestore();
    finish();
    expect(await hc.ready()).toBe('slow');
    expect(hc.getBackend()).toBe('slow');
    early.dispose();
    hc.removeBackend('slow');
  });

  it('a started backend may demote its own priority (a software GPU adapter ranks below cpu here)', async () => {
    hc.registerBackend('software-gpu', () => Object.assign(createCpuBackend({ name: 'software-gpu' }), { priority: 0.5 }), 3);
    hc.registerBackend('cpu', () => createCpuBackend(), hc.DEFAULT_PRIORITIES.cpu);
    expect(await hc.ready()).toBe('cpu');
    const info = (await hc.listBackends()).find((b) => b.name === 'software-gpu')!;
    expect(info.priority).toBe(0.5);
    hc.removeBackend('software-gpu');
  });

  it('ready() does not wait for a lower-priority factory once a better backend is up', async () => {
    hc.registerBackend('never', () => new Promise<never>(() => undefined), 0);
    hc.registerBackend('cpu', () => createCpuBackend(), hc.DEFAULT_PRIORITIES.cpu);
    expect(await hc.ready()).toBe('cpu');
    hc.removeBackend('never');
  });

  it('createCpuBackend takes threads like every factory and reports the 1 thread it uses', async () => {
    expect(createCpuBackend({ threads: 4 }).threads).toBe(1);
    expect(() => createCpuBackend({ threads: 0 })).toThrow(/createCpuBackend: threads expected a positive integer, got 0/);
    const info = (await hc.listBackends()).find((b) => b.name === 'cpu')!;
    expect(info.threads).toBe(1);
  });
});

describe('kernel results', () => {
  it('a kernel returning the wrong number of handles is a HypercolumnError naming kernel, backend and contract', async () => {
    const bad = createCpuBackend({
      name: 'bad',
      kernels: { ...cpuKernels, frn: (() => new Float32Array(4)) as never, relu: (() => undefined) as never },
    });
    hc.registerBackend('bad', () => bad, 0);
    const x = hc.ones([1, 2, 2, 2], { backend: 'bad' });
    expectHcError(() => hc.frn(x), 'frn: backend "bad" kernel expected to return a tuple of 2 fresh handles (y, nu2), got one value');
    expectHcError(() => hc.relu(x), 'relu: backend "bad" kernel expected to return one fresh handle, got undefined');
    x.dispose();
    hc.removeBackend('bad');
  });
});

describe('host-visible storage', () => {
  it('tensor(values, shape, {copy: false}) adopts a Float32Array on cpu; the default copies', async () => {
    await hc.setBackend('cpu');
    const values = Float32Array.of(1, 2, 3);
    const adopted = hc.tensor(values, [3], { copy: false });
    const copied = hc.tensor(values, [3]);
    hc.resetLaunchCounts();
    const again = hc.tensor(values, [3], { copy: false });
    expect(hc.launchCounts().cpu?.writes ?? 0).toBe(0); // no upload
    values[0] = 10;
    expect(Array.from(adopted.dataSync())).toEqual([10, 2, 3]);
    expect(Array.from(copied.dataSync())).toEqual([1, 2, 3]);
    expectHcError(() => hc.tensor(values, [3], { copy: 'no' as never }), 'tensor: copy expected');
    for (const t of [adopted, copied, again]) t.dispose();
  });

  it('data({copy: false}) lends cpu storage without a copy, still valid after dispose; data() copies', async () => {
    await hc.setBackend('cpu');
    const x = hc.mul(hc.tensor([1, 2, 3]), 2);
    const view = await x.data({ copy: false });
    expect(await x.data({ copy: false })).toBe(view); // the storage itself, both times
    const copy = await x.data();
    expect(copy).not.toBe(view);
    x.dispose();
    expect(Array.from(view)).toEqual([2, 4, 6]);
    await expect(x.data({ copy: false })).rejects.toThrow(/data: tensor expected a live tensor/);
  });

  it('data() options are checked: copy must be a boolean, no unknown keys', async () => {
    const x = hc.tensor([1, 2]);
    await expect(x.data({ copy: 'no' as never })).rejects.toThrow(/data: copy expected a boolean, got "no"/);
    await expect(x.data({ cpy: false } as never)).rejects.toThrow(/data: options expected only keys "copy"/);
    await expect(x.data(7 as never)).rejects.toThrow(/data: options expected an object, got 7/);
    await expect(x.data({ copy: 'no' as never })).rejects.toBeInstanceOf(hc.HypercolumnError);
    x.dispose();
  });

  it('data({copy: false}) on a backend that cannot lend its storage is a copy', async () => {
    const noView = Object.assign(createCpuBackend({ name: 'noview' }), { view: undefined }); // as wasm and WebGPU
    hc.registerBackend('noview', () => noView);
    const x = hc.tensor([1, 2, 3], [3], { backend: 'noview' });
    const a = await x.data({ copy: false });
    const b = await x.data({ copy: false });
    expect(a).not.toBe(b);
    expect(Array.from(a)).toEqual([1, 2, 3]);
    x.dispose();
    hc.removeBackend('noview');
  });

  it('borrow() lends cpu storage; without borrow or view it copies; it uses borrow where a backend has it, and checks the tensor', async () => {
    await hc.setBackend('cpu');
    const x = hc.mul(hc.tensor([1, 2, 3]), 2);
    expect(await x.borrow()).toBe(await x.data({ copy: false }));
    x.dispose();
    await expect(x.borrow()).rejects.toThrow(/borrow: tensor expected a live tensor/);
    expect(await hc.zeros([0, 3]).borrow()).toEqual(new Float32Array(0));

    const noView = Object.assign(createCpuBackend({ name: 'noview' }), { view: undefined });
    hc.registerBackend('noview', () => noView);
    const y = hc.tensor([1, 2, 3], [3], { backend: 'noview' });
    const [a, b] = [await y.borrow(), await y.borrow()];
    expect(a).not.toBe(b);
    expect(Array.from(a)).toEqual([1, 2, 3]);
    y.dispose();
    hc.removeBackend('noview');

    const lent: unknown[] = [];
    const lending = createCpuBackend({ name: 'lending' });
    hc.registerBackend('lending', () => Object.assign(lending, {
      borrow: (data: Float32Array, size: number) => {
        lent.push(data);
        return Promise.resolve(data.subarray(0, size));
      },
    }));
    const z = hc.tensor([4, 5], [2], { backend: 'lending' });
    expect(Array.from(await z.borrow())).toEqual([4, 5]);
    expect(lent).toHaveLength(1);
    z.dispose();
    hc.removeBackend('lending');
  });
});
