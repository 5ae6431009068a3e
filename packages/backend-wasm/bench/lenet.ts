// LeNet-5 training steps (batch 64, SGD with momentum) on this backend through the public API, with
// every kernel call timed: images/s and where the time goes. The model is apps/train-mnist's.
// Run: node scripts/run-ts.mjs bench/lenet.ts [threads] [steps]
import * as hc from '@hypercolumn/core';
import { createWasmBackend } from '../src/index.js';

const threads = Number(process.argv[3] ?? 1);
const steps = Number(process.argv[4] ?? 60);
const spent = new Map<string, { ms: number; calls: number }>();
hc.registerBackend('wasm', async () => {
  const be = await createWasmBackend({ threads, name: 'wasm' });
  const table = be.kernels as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const [name, fn] of Object.entries(table)) {
    table[name] = (...a: unknown[]) => {
      const t0 = performance.now();
      const out = fn(...a);
      const s = spent.get(name) ?? { ms: 0, calls: 0 };
      s.ms += performance.now() - t0;
      s.calls++;
      spent.set(name, s);
      return out;
    };
  }
  return be;
});
await hc.setBackend('wasm');
const nn = hc.nn;
const stage = (inC: number, outC: number, padding: number) => [new nn.Conv2d(inC, outC, 5, { padding }), new nn.ReLU(), new nn.MaxPool2d(2)];
const model = new nn.Sequential(...stage(1, 6, 2), ...stage(6, 16, 0), new nn.Flatten(), new nn.Linear(400, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10));
const opt = new hc.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
const n = 64;
const x = Float32Array.from({ length: n * 784 }, () => Math.random());
const y = Int32Array.from({ length: n }, (_, i) => i % 10);
const step = async () => {
  const loss = hc.scope(() => {
    const l = hc.crossEntropy(model.forward(hc.tensor(x, [n, 1, 28, 28])), y as never);
    l.backward();
    opt.step();
    opt.zeroGrad();
    return l;
  }) as hc.Tensor;
  await loss.data();
  loss.dispose();
};
for (let i = 0; i < 10; i++) await step();
spent.clear();
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step();
const ms = performance.now() - t0;
console.log(`${threads} thread(s): ${((steps * n) / (ms / 1000)).toFixed(0)} images/s, ${(ms / steps).toFixed(2)} ms/step`);
const rows = [...spent].sort((a, b) => b[1].ms - a[1].ms);
const inKernels = rows.reduce((s, [, v]) => s + v.ms, 0);
console.log(`in kernels ${(inKernels / steps).toFixed(2)} ms/step; the rest (core, autograd, JS) ${((ms - inKernels) / steps).toFixed(2)}`);
for (const [name, v] of rows.slice(0, 16)) console.log(`  ${name.padEnd(28)} ${(v.ms / steps).toFixed(3)} ms/step  ${(v.calls / steps).toFixed(1)} calls`);
process.exit(0);
