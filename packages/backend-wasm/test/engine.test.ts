// The wasm backend under core's v2 engine: every kernel of the contract resolves natively (no
// composite, no cpu fallback), public ops match the float64 reference, and LeNet-5 (+BN) training
// steps on wasm track the same steps on the cpu backend.
import { afterAll, describe, expect, it } from 'vitest';
import * as hc from '@hypercolumn/core';
import '@hypercolumn/backend-cpu';
import { reference as ref } from '@hypercolumn/conformance-core';
import { createWasmBackend } from '../src/index.js';
import { expectClose, f64, rand } from './harness.js';

for (const threads of [1, 2]) {
  describe(`wasm under the engine (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    const name = `wasm-t${threads}`;
    hc.registerBackend(name, () => createWasmBackend({ threads, minParallelWork: threads > 1 ? 0 : undefined, name }), 0);
    afterAll(() => hc.removeBackend(name));

    it('resolves every kernel natively', async () => {
      const info = (await hc.listBackends()).find((b) => b.name === name)!;
      expect(info.available, info.reason).toBe(true);
      const notNative = Object.entries(info.resolution).filter(([, r]) => r !== 'native');
      expect(notNative).toEqual([]);
      expect(info.kernels.length).toBe(hc.kernelNames.length);
      expect(info.description).toMatch(new RegExp(`${threads} thread`));
    });

    it('public conv2d + relu and maxPool2d match the reference; memory() includes the arena', async () => {
      await hc.setBackend(name);
      const x = rand([2, 3, 8, 8], 1), w = rand([4, 3, 3, 3], 2), b = rand([4], 3);
      const y = hc.conv2d(hc.tensor(Float32Array.from(x.data), x.shape), hc.tensor(Float32Array.from(w.data), w.shape), hc.tensor(Float32Array.from(b.data), b.shape), { padding: 1 });
      const want = ref.conv2d(x, w, b, { padding: 1 });
      expectClose(f64(want.shape, await y.data()), want, 2e-5);
      const p = hc.maxPool2d(y, { kernelSize: 2 });
      expectClose(f64(p.shape, await p.data()), ref.maxPool2d(want, { kernelSize: 2 }), 1e-6);
      expect(hc.memory().backends[name]?.backendBytes).toBeGreaterThan(0);
    });

    it('LeNet-5 (+BN) SGD steps match the cpu backend', async () => {
      const train = async (backend: string) => {
        await hc.setBackend(backend);
        hc.manualSeed(7);
        const nn = hc.nn;
        const stage = (inC: number, outC: number, padding: number) => [
          new nn.Conv2d(inC, outC, 5, { padding, bias: false }), new nn.BatchNorm2d(outC), new nn.ReLU(), new nn.MaxPool2d(2),
        ];
        const model = new nn.Sequential(
          ...stage(1, 6, 2), ...stage(6, 16, 0), new nn.Flatten(),
          new nn.Linear(400, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10),
        );
        const opt = new hc.optim.SGD(model, { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
        const gen = new hc.RandomGenerator(3);
        const images = Float32Array.from({ length: 8 * 28 * 28 }, () => gen.nextFloat());
        const labels = Array.from({ length: 8 }, (_, i) => i % 10);
        const losses: number[] = [];
        for (let s = 0; s < 3; s++) {
          const loss = hc.scope(() => {
            opt.zeroGrad();
            const l = hc.crossEntropy(model.forward(hc.tensor(images, [8, 1, 28, 28])), labels);
            l.backward();
            opt.step();
            return l;
          });
          losses.push((await loss.data())[0]!);
          loss.dispose();
        }
        const params = await Promise.all(model.parameters().map((p) => p.data()));
        model.dispose();
        opt.dispose();
        return { losses, params };
      };
      const cpu = await train('cpu');
      const wasm = await train(name);
      for (let s = 0; s < 3; s++) expect(Math.abs(wasm.losses[s]! - cpu.losses[s]!)).toBeLessThan(1e-4 * (1 + Math.abs(cpu.losses[s]!)));
      cpu.params.forEach((p, i) => expectClose(f64([p.length], wasm.params[i]!), f64([p.length], p), 1e-3, `param ${i}`));
    });
  });
}
