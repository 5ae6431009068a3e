/**
 * Runs in headless Chromium (bundled by test/browser.test.ts): a subset of the kernel table on
 * navigator.gpu, checked against the float64 reference, and a forced device loss (a pending read
 * rejects, the backend refuses work, a new one works). Publishes its results on `window`.
 */
import { conv2dGeometry, HypercolumnError, pool2dGeometry } from '@hypercolumn/core';
import { createWebGpuBackend } from '../../src/index.js';
import { closeness, f64, rand, ref, runKernel, vjp, type F64 } from '../harness.js';

interface Result {
  name: string;
  failure: string | null;
}

async function run(): Promise<{ adapter: string; results: Result[] }> {
  const gpu = await createWebGpuBackend();
  const results: Result[] = [];
  const check = async (name: string, fn: () => Promise<string | null>) => {
    try {
      results.push({ name, failure: await fn() });
    } catch (err) {
      results.push({ name, failure: `threw ${(err as Error).message}` });
    }
  };

  const opts = { stride: 2, padding: 'same' as const, groups: 2 };
  const x = rand([2, 4, 7, 6], 1), w = rand([6, 2, 3, 3], 2), b = rand([6], 3);
  const g = conv2dGeometry('conv2d', x.shape, w.shape, opts);
  const dy = rand(g.yShape, 4);
  const conv = (i: F64[]): F64 => ref.conv2d(i[0]!, i[1]!, b, opts);
  await check('conv2d', async () => {
    const [y] = await runKernel(gpu, 'conv2d', { x, w, b }, { geometry: g }, { y: g.yShape });
    return closeness('conv2d', y!, ref.conv2d(x, w, b, opts), ref.magnitude(ref.conv2d, x, w, b, opts));
  });
  await check('conv2dBackpropInput', async () => {
    const [dx] = await runKernel(gpu, 'conv2dBackpropInput', { dy, w }, { geometry: g }, { dx: x.shape });
    const want = vjp(conv, [x, w], dy, 0, 0.5);
    return closeness('dx', dx!, want, want.magnitude);
  });
  await check('conv2dBackpropFilter', async () => {
    const [dw] = await runKernel(gpu, 'conv2dBackpropFilter', { x, dy }, { geometry: g }, { dw: w.shape });
    const want = vjp(conv, [x, w], dy, 1, 0.5);
    return closeness('dw', dw!, want, want.magnitude);
  });
  await check('maxPool2d', async () => {
    const popts = { kernelSize: 3, stride: 2, padding: 1 };
    const pg = pool2dGeometry('maxPool2d', x.shape, popts);
    const [y] = await runKernel(gpu, 'maxPool2d', { x }, { geometry: pg }, { y: pg.yShape });
    return closeness('maxPool2d', y!, ref.maxPool2d(x, popts));
  });
  await check('batchNormTraining', async () => {
    const C = x.shape[1]!;
    const [y] = await runKernel(gpu, 'batchNormTraining', { x, scale: rand([C], 5), offset: rand([C], 6) }, { eps: 1e-5 },
      { y: x.shape, mean: [C], variance: [C] });
    const want = ref.batchNorm(x, f64([C]), f64([C]), rand([C], 5), rand([C], 6), { training: true, eps: 1e-5 }).y;
    return closeness('y', y!, want, want.magnitude);
  });
  await check('softmaxCrossEntropy', async () => {
    const logits = rand([4, 5], 7, -3, 3), labels = [4, 0, 2, 2];
    const [loss] = await runKernel(gpu, 'softmaxCrossEntropy', { logits, labels: f64([4], labels) }, {}, { loss: [] });
    const want = ref.crossEntropy(logits, labels);
    return closeness('loss', loss!, want, want.magnitude);
  });
  await check('device loss', async () => {
    const lost = await createWebGpuBackend();
    const t = lost.write(new Float32Array([1, 2, 3]), [3]);
    const pending = lost.read(t, 3); // in flight when the device goes
    lost.device.destroy();
    const reason = await Promise.race([lost.lost, new Promise<string>((r) => setTimeout(() => r('timeout'), 10_000))]);
    if (!/device lost/.test(reason)) return `lost settled with ${reason}`;
    const outcome = await Promise.race([pending.then(() => 'resolved', (e: unknown) => e), new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
    if (!(outcome instanceof HypercolumnError)) return `pending read: ${String(outcome)}`;
    try {
      lost.write(new Float32Array(3), [3]);
      return 'write after loss did not throw';
    } catch (err) {
      if (!(err instanceof HypercolumnError)) return `write after loss threw ${String(err)}`;
    }
    const again = await createWebGpuBackend();
    const got = Array.from(await again.read(again.write(new Float32Array([4, 5]), [2]), 2));
    again.dispose();
    return got.join() === '4,5' ? null : `re-created backend read ${got.join()}`;
  });
  const adapter = gpu.description;
  gpu.dispose();
  return { adapter, results };
}

const w = window as unknown as { __hcResult?: unknown; __hcError?: string };
run().then(
  (r) => (w.__hcResult = r),
  (err: Error) => (w.__hcError = err.message ?? String(err)),
);
