/**
 * Issue 8 against a backend shaped like WebGPU (test/async-backend.ts): opaque handles, deferred
 * completion, no readSync. Everything core does must work through the contract alone: LeNet-5
 * trains (matching the cpu backend step for step), compositions replace the kernels it lacks,
 * nothing falls back, nothing reads synchronously, and bad input gives cpu's exact error text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuKernels, createCpuBackend } from '@hypercolumn/backend-cpu';
import * as hc from '../src/index.js';
import { AsyncTestBackend, COMPOSED_ON_ASYNC } from './async-backend.js';
import { expectClose, lenetBn } from './helpers.js';

const nn = hc.nn;
let device: AsyncTestBackend;

beforeAll(async () => {
  hc.registerBackend('async', () => (device = new AsyncTestBackend({ kernels: cpuKernels, backend: createCpuBackend({ name: 'async-math' }) })), 0);
  await hc.setBackend('async');
});
afterAll(async () => {
  await hc.setBackend('cpu');
  hc.removeBackend('async');
});

/** LeNet-5 with batch norm on the first stage, for 12×12 inputs (small, for a quick test). */
function smallLenet(): hc.nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 6, 5, { padding: 2, bias: false }), new nn.BatchNorm2d(6), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(6, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
    new nn.Linear(64, 32), new nn.ReLU(), new nn.Linear(32, 10),
  );
}

/** Trains `steps` SGD steps on one fixed batch on `backend`; returns the losses (read asynchronously). */
async function train(backend: string, steps: number, clip: boolean): Promise<{ losses: number[]; norms: number[]; logits: Float32Array }> {
  await hc.setBackend(backend);
  hc.manualSeed(11);
  const model = smallLenet();
  const opt = new hc.optim.SGD(model, { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const gen = new hc.RandomGenerator(12);
  const images = Float32Array.from({ length: 8 * 144 }, () => gen.nextFloat());
  const labels = hc.tensor(Array.from({ length: 8 }, (_, i) => i % 10), [8]);
  const losses: number[] = [], norms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [loss, norm] = hc.scope(() => {
      opt.zeroGrad();
      const loss = hc.crossEntropy(model.forward(hc.tensor(images, [8, 1, 12, 12])), labels);
      loss.backward();
      const norm = clip ? hc.optim.clipGradNorm(model, 1) : undefined;
      if (clip) hc.optim.adaptiveGradClip(model, { clipping: 0.1 });
      opt.step();
      return [loss, norm];
    });
    losses.push(await loss.itemAsync());
    if (norm) norms.push(await norm.itemAsync());
    loss.dispose();
    norm?.dispose();
  }
  model.eval();
  const out = hc.noGrad(() => model.forward(hc.tensor(images, [8, 1, 12, 12])));
  const logits = await out.data();
  out.dispose();
  model.dispose();
  opt.dispose();
  labels.dispose();
  return { losses, norms, logits };
}

describe('async test backend (opaque deferred handles, no readSync)', () => {
  it('resolves every kernel natively or by composition: none falls back (no readSync), none is missing', async () => {
    const info = (await hc.listBackends()).find((b) => b.name === 'async')!;
    const resolutions = Object.entries(info.resolution);
    expect(resolutions.filter(([, r]) => r === 'fallback' || r === 'missing')).toEqual([]);
    for (const k of COMPOSED_ON_ASYNC) expect(info.resolution[k], k).toBe('composite');
    expect(info.kernels).not.toContain('sgdMomentumStep');
  });

  it('trains LeNet-5 (+BN) step for step like cpu, with composed SGD, clipGradNorm and AGC, no sync read', async () => {
    hc.resetLaunchCounts();
    const onAsync = await train('async', 4, true);
    const counts = hc.launchCounts();
    expect(counts.async!.reads).toBe(8 + 1); // 4 losses + 4 norms + the final logits, all async
    expect(counts.async!.kernels.sgdMomentumStep).toBeUndefined(); // composed from other kernels
    expect(counts.async!.kernels.mul).toBeGreaterThan(0);
    const onCpu = await train('cpu', 4, true);
    await hc.setBackend('async');
    expectClose(onAsync.losses, onCpu.losses, 1e-4, 1e-5);
    expectClose(onAsync.norms, onCpu.norms, 1e-4, 1e-5);
    expectClose(onAsync.logits, onCpu.logits, 1e-3, 1e-4);
    expect(onAsync.losses[3]!).toBeLessThan(onAsync.losses[0]!);
  });

  it('a LeNet-5 (+BN) SGD step uploads only the batch and its labels, even through compositions', async () => {
    await hc.setBackend('async');
    hc.manualSeed(7);
    const model = lenetBn();
    const opt = new hc.optim.SGD(model, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    const images = new Float32Array(64 * 784).fill(0.5);
    const labels = Array.from({ length: 64 }, (_, i) => i % 10);
    const step = () => {
      const loss = hc.scope(() => {
        opt.zeroGrad();
        const loss = hc.crossEntropy(model.forward(hc.tensor(images, [64, 1, 28, 28])), labels);
        loss.backward();
        opt.step();
        return loss;
      });
      loss.dispose();
    };
    step();
    hc.resetLaunchCounts();
    step();
    const counts = hc.launchCounts().async!;
    console.log(`async backend (no fused/scalar/optimizer kernels): ${counts.launches} launches, ${counts.writes} uploads per step`);
    expect(counts.writes).toBe(2);
    expect(counts.reads).toBe(0);
    await hc.sync();
    model.dispose();
    opt.dispose();
  });

  it('synchronous reads are HypercolumnErrors naming the async twin; the twins work', async () => {
    const x = hc.tensor([1.5], [1]);
    expect(() => x.dataSync()).toThrow(/dataSync: backend "async" cannot read synchronously; use await tensor.data\(\)/);
    expect(() => x.item()).toThrow(/cannot read synchronously/);
    expect(await x.itemAsync()).toBe(1.5);
    expect(() => x.to('cpu')).toThrow(/to: tensor expected to be on a backend that reads synchronously, got one on "async" \(use await tensor.toAsync\("cpu"\)\)/);
    const onCpu = await x.toAsync('cpu');
    expect(Array.from(onCpu.dataSync())).toEqual([1.5]);
    for (const t of [x, onCpu]) t.dispose();
  });

  it('to(): a move whose backward would need a sync read fails when recorded, not inside backward()', async () => {
    const onCpu = hc.tensor([1, -2, 3], [3], { backend: 'cpu', requiresGrad: true });
    expect(() => onCpu.to('async')).toThrow(/to: tensor expected no gradient to carry back from "async"/);
    const moved = hc.noGrad(() => onCpu.to('async')); // no graph, no backward: fine
    // async → cpu: backward moves the gradient from cpu (readable) back to async
    const leaf = hc.tensor([1, -2, 3], [3], { requiresGrad: true });
    const there = await leaf.toAsync('cpu');
    hc.sum(hc.mul(there, there)).backward();
    expect(Array.from(await leaf.grad!.data())).toEqual([2, -4, 6]);
    expect(leaf.grad!.backend).toBe('async');
    for (const t of [onCpu, moved, leaf, there]) t.dispose();
  });

  it('Module.toAsync moves parameters and buffers in place; the optimizer keeps working', async () => {
    hc.manualSeed(3);
    const layer = new nn.Linear(3, 2);
    const opt = new hc.optim.SGD(layer, { lr: 0.1 });
    const before = await layer.weight.data();
    await layer.toAsync('cpu');
    expect(layer.weight.backend).toBe('cpu');
    expect(Array.from(layer.weight.dataSync())).toEqual(Array.from(before));
    hc.sum(layer.forward(hc.ones([1, 3], { backend: 'cpu' }))).backward();
    opt.step();
    expect(layer.weight.dataSync()[0]).toBeCloseTo(before[0]! - 0.1, 6);
    layer.to('cpu'); // already there: a no-op move
    layer.dispose();
  });

  it('convToMatrix is computed on the device: M·x equals conv(x)', async () => {
    const w = hc.randn([2, 1, 3, 3], { seed: 4 });
    const x = hc.randn([1, 1, 4, 4], { seed: 5 });
    const m = hc.convToMatrix(w, [1, 4, 4], { padding: 1, mode: 'convolution' });
    expect(m.backend).toBe('async');
    const y = hc.conv2d(x, w, null, { padding: 1, mode: 'convolution' });
    const mx = hc.matMul(m, hc.reshape(x, [16, 1]));
    expectClose(await mx.data(), await y.data(), 1e-5, 1e-6);
    for (const t of [w, x, m, y, mx]) t.dispose();
  });

  it('concurrent async tasks do not interfere (scope holds synchronous parts only)', async () => {
    const task = async (k: number) => {
      const s = hc.scope(() => hc.sum(hc.mul(hc.ones([4]), k)));
      await new Promise((r) => setTimeout(r, 3 - k));
      const g = hc.noGrad(() => hc.mul(s, 2));
      const v = await g.itemAsync();
      s.dispose();
      g.dispose();
      return v;
    };
    expect(await Promise.all([task(1), task(2), task(3)])).toEqual([8, 16, 24]);
    expect(hc.isGradEnabled()).toBe(true);
  });

  it('flushes when work must be submitted: after backward and optimizer steps, before reads', async () => {
    const w = hc.ones([3], { requiresGrad: true });
    const opt = new hc.optim.SGD([w], { lr: 0.5 });
    const loss = hc.sum(hc.mul(w, w));
    device.flushes = 0;
    loss.backward();
    expect(device.flushes).toBeGreaterThan(0);
    device.flushes = 0;
    opt.step();
    expect(device.flushes).toBeGreaterThan(0);
    expect(device.pendingJobs).toBeGreaterThan(0); // submitted, not yet completed: deferred
    expect(Array.from(await w.data())).toEqual([0, 0, 0]); // 1 − 0.5·2
    expect(device.pendingJobs).toBe(0);
    for (const t of [w, loss]) t.dispose();
  });

  it('gives cpu\'s exact HypercolumnError text for invalid calls', async () => {
    const invalid: [string, () => unknown][] = [
      ['conv2d rank', () => hc.conv2d(hc.zeros([1, 1, 4]), hc.zeros([1, 1, 3, 3]))],
      ['conv2d channels', () => hc.conv2d(hc.zeros([1, 2, 4, 4]), hc.zeros([1, 3, 3, 3]))],
      ['conv2d output size', () => hc.conv2d(hc.zeros([1, 1, 2, 2]), hc.zeros([1, 1, 3, 3]))],
      ['maxPool2d padding', () => hc.maxPool2d(hc.zeros([1, 1, 4, 4]), { kernelSize: 2, padding: 2 })],
      ['linear', () => hc.linear(hc.zeros([2, 3]), hc.zeros([4, 5]))],
      ['crossEntropy labels', () => hc.crossEntropy(hc.zeros([2, 3]), [0, 3])],
      ['crossEntropy label tensor', () => hc.crossEntropy(hc.zeros([2, 3]), hc.zeros([3]))],
      ['batchNorm eval', () => hc.batchNorm(hc.zeros([2, 3, 2, 2]), null, null)],
      ['groupNorm groups', () => hc.groupNorm(hc.zeros([2, 6, 2, 2]), 4)],
      ['add broadcast', () => hc.add(hc.zeros([2, 3]), hc.zeros([4]))],
      ['reshape', () => hc.reshape(hc.zeros([2, 3]), [4])],
      ['softmax dim', () => hc.softmax(hc.zeros([2, 3]), 2)],
      ['backward non-scalar', () => hc.mul(hc.zeros([2], { requiresGrad: true }), 2).backward()],
      ['clipGradNorm', () => hc.optim.clipGradNorm([hc.zeros([1], { requiresGrad: true })], -1)],
      ['conv2d activation', () => hc.conv2d(hc.zeros([1, 1, 3, 3]), hc.zeros([1, 1, 3, 3]), null, { activation: 'tanh' as never })],
    ];
    const messages = async (backend: string) => {
      await hc.setBackend(backend);
      const before = hc.memory().numTensors;
      const out = invalid.map(([name, fn]) => {
        try {
          hc.scope(() => void fn());
        } catch (err) {
          expect(err, name).toBeInstanceOf(hc.HypercolumnError);
          return (err as Error).message;
        }
        return `${name}: no error`;
      });
      expect(hc.memory().numTensors).toBe(before);
      return out;
    };
    const onCpu = await messages('cpu');
    const onAsync = await messages('async');
    expect(onAsync).toEqual(onCpu);
    expect(onAsync.every((m) => !m.endsWith('no error'))).toBe(true);
  });

  it('frees storage only after queued work that reads it has run; no bytes are left behind', async () => {
    await hc.setBackend('async');
    await hc.sync();
    const baseline = device.memory().bytes;
    const x = hc.tensor(new Float32Array(1000).fill(2), [1000]);
    const y = hc.mul(x, x); // queued, not yet run
    x.dispose(); // freed while the queued mul still reads it
    expect(Array.from((await y.data()).slice(0, 2))).toEqual([4, 4]);
    y.dispose();
    await hc.sync();
    expect(device.memory().bytes).toBe(baseline);
    expect(hc.memory().backends.async?.backendBytes).toBe(baseline);
  });

  it('a lost device makes the backend unavailable and its tensors raise HypercolumnError', async () => {
    const x = hc.ones([2]);
    device.lose('device lost (test)');
    await device.lost;
    await Promise.resolve();
    expect(() => hc.relu(x)).toThrow(/relu: x expected a tensor on an available backend, got one on "async", which was lost: device lost \(test\)/);
    const info = (await hc.listBackends()).find((b) => b.name === 'async')!;
    expect(info.available).toBe(false);
    x.dispose();
  });
});
