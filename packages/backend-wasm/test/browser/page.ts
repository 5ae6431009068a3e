// Runs in headless Chromium (bundled by test/browser.test.ts): conv, pool and norm kernels on the
// wasm backend against the float64 reference and finite differences, at 1 thread and — the page is
// cross-origin isolated — 2 threads, where the main thread must not block (queued kernels, async read).
import { conv2dGeometry, pool2dGeometry } from '@hypercolumn/core';
import { reference as ref } from '@hypercolumn/conformance-core';

type F64 = ref.F64;
const { f64, numel } = ref;
import { createWasmBackend, type WasmBackend, type WasmBuffer } from '../../src/index.js';

function rand(shape: number[], seed: number): F64 {
  let s = seed * 9301 + 49297;
  const a = f64(shape);
  for (let i = 0; i < a.data.length; i++) {
    s = (s * 9301 + 49297) % 233280;
    a.data[i] = (s / 233280) * 2 - 1;
  }
  return a;
}

function fd(f: (x: F64) => F64, x: F64, dy: F64): F64 {
  const g = f64(x.shape);
  const p = { shape: x.shape, data: Float64Array.from(x.data) };
  const dot = (a: F64) => a.data.reduce((s, v, i) => s + v * dy.data[i]!, 0);
  for (let i = 0; i < x.data.length; i++) {
    const h = 1e-4 * (1 + Math.abs(x.data[i]!));
    p.data[i] = x.data[i]! + h;
    const up = dot(f(p));
    p.data[i] = x.data[i]! - h;
    const down = dot(f(p));
    p.data[i] = x.data[i]!;
    g.data[i] = (up - down) / (2 * h);
  }
  return g;
}

async function run(be: WasmBackend, name: string, inputs: Record<string, F64 | undefined>, attrs: unknown, outShapes: Record<string, number[]>): Promise<Float32Array[]> {
  const h: Record<string, { data: WasmBuffer; shape: number[] }> = {};
  for (const [k, v] of Object.entries(inputs)) if (v) h[k] = { data: be.write(Float32Array.from(v.data), v.shape), shape: v.shape };
  const out = (be.kernels as Record<string, (...a: unknown[]) => WasmBuffer | WasmBuffer[]>)[name]!(h, attrs, be, outShapes);
  const outs = Array.isArray(out) ? out : [out];
  const vals = await Promise.all(outs.map((o) => be.read(o, o.size)));
  for (const o of outs) be.free(o);
  for (const v of Object.values(h)) be.free(v.data);
  return vals;
}

function compare(failures: string[], label: string, got: Float32Array, want: F64, tol: number): void {
  const scale = want.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  if (got.length !== numel(want.shape)) failures.push(`${label}: ${got.length} values, want ${numel(want.shape)}`);
  for (let i = 0; i < want.data.length; i++) {
    const err = Math.abs(got[i]! - want.data[i]!) / (Math.abs(want.data[i]!) + scale + 1e-30);
    if (!(err <= tol)) {
      failures.push(`${label}[${i}]: got ${got[i]}, want ${want.data[i]}`);
      return;
    }
  }
}

async function suite(be: WasmBackend, failures: string[]): Promise<number> {
  let checks = 0;
  const check = (label: string, got: Float32Array, want: F64, tol: number) => {
    checks++;
    compare(failures, `${be.description} ${label}`, got, want, tol);
  };
  for (const [i, c] of [
    { x: [1, 4, 9, 10], w: [8, 4, 3, 3], o: { padding: 1 as const } },
    { x: [2, 6, 7, 7], w: [6, 1, 3, 3], o: { padding: 1 as const, groups: 6, stride: 2 as const } },
    { x: [1, 3, 8, 12], w: [5, 3, 2, 3], o: { dilation: 2 as const } },
  ].entries()) {
    const x = rand(c.x, i + 1), w = rand(c.w, i + 2), b = rand([c.w[0]!], i + 3);
    const g = conv2dGeometry('conv2d', c.x, c.w, c.o);
    const ro = { ...c.o, padding: [g.padTop, g.padBottom, g.padLeft, g.padRight] as const };
    check(`conv2d ${i}`, (await run(be, 'conv2d', { x, w, b }, { geometry: g }, { y: g.yShape }))[0]!, ref.conv2d(x, w, b, ro), 2e-5);
    const dy = rand(g.yShape, i + 4);
    check(`conv2d ${i} dx`, (await run(be, 'conv2dBackpropInput', { dy, w }, { geometry: g }, { dx: g.xShape }))[0]!, fd((v) => ref.conv2d(v, w, undefined, ro), x, dy), 1e-4);
    check(`conv2d ${i} dw`, (await run(be, 'conv2dBackpropFilter', { x, dy }, { geometry: g }, { dw: g.wShape }))[0]!, fd((v) => ref.conv2d(x, v, undefined, ro), w, dy), 1e-4);
  }
  const x = rand([2, 3, 9, 8], 7);
  const pg = pool2dGeometry('maxPool2d', x.shape, { kernelSize: 3, stride: 2, padding: 1 });
  const po = { kernelSize: 3, stride: 2, padding: 1 };
  check('maxPool2d', (await run(be, 'maxPool2d', { x }, { geometry: pg }, { y: pg.yShape }))[0]!, ref.maxPool2d(x, po), 1e-7);
  const pdy = rand(pg.yShape, 8);
  check('maxPool2d dx', (await run(be, 'maxPool2dBackward', { dy: pdy, x }, { geometry: pg }, { dx: x.shape }))[0]!, fd((v) => ref.maxPool2d(v, po), x, pdy), 1e-4);
  check('avgPool2d', (await run(be, 'avgPool2d', { x }, { geometry: pg, countIncludePad: false }, { y: pg.yShape }))[0]!, ref.avgPool2d(x, { ...po, countIncludePad: false }), 1e-6);
  const [y, mean, variance] = await run(be, 'groupNorm', { x, weight: rand([3], 9), bias: rand([3], 10) }, { numGroups: 3, eps: 1e-5 }, { y: x.shape, mean: [2, 3], variance: [2, 3] });
  check('instance norm', y!, ref.groupNorm(x, 3, rand([3], 9), rand([3], 10), { eps: 1e-5 }), 1e-5);
  const bn = (v: F64) => ref.batchNorm(v, f64([3]), f64([3], [1, 1, 1]), undefined, undefined, { training: true, eps: 1e-5 }).y;
  const [by, bm, bv] = await run(be, 'batchNormTraining', { x }, { eps: 1e-5 }, { y: x.shape, mean: [3], variance: [3] });
  check('batch norm', by!, bn(x), 1e-5);
  const ndy = rand(x.shape, 11);
  const bmF = f64([3], bm!), bvF = f64([3], bv!);
  check('batch norm dx', (await run(be, 'batchNormBackward', { dy: ndy, x, mean: bmF, variance: bvF }, { eps: 1e-5 }, { dx: x.shape, dscale: [3], doffset: [3] }))[0]!, fd(bn, x, ndy), 2e-4);
  void mean;
  void variance;
  return checks;
}

/** Without cross-origin isolation: the backend must start on one thread and say why. */
async function describeOnly(): Promise<void> {
  const be = await createWasmBackend({ threads: 2 });
  const x = be.write(new Float32Array([-1, 2, -3, 4]), [4]);
  const y = be.kernels.relu!({ x: { data: x, shape: [4] } }, {}, be, { y: [4] }) as WasmBuffer;
  const values = Array.from(await be.read(y, 4));
  (window as unknown as { __result: unknown }).__result = { description: be.description, threads: be.threads, values, isolated: crossOriginIsolated };
  be.dispose();
}

/**
 * Two callers sharing the backend on the main thread with threads (kernels queue): one awaits a
 * read while the other, resuming first, queues more kernels. The read must still give its tensor's
 * values, as they were when it was called, not fail on the work queued after it.
 */
async function interleavedReads(): Promise<void> {
  const be = await createWasmBackend({ threads: 2, minParallelWork: 0 });
  const relu = (data: WasmBuffer, n: number) => be.kernels.relu!({ x: { data, shape: [n] } }, {}, be, { y: [n] }) as WasmBuffer;
  const n = 4096;
  const values = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3);
  const x = be.write(values);
  const y = relu(x, n);
  const other = (async () => {
    await be.sync();
    // queued behind the read below if the read copies at its turn; pending while it copies if not
    for (let i = 0; i < 4; i++) be.free(relu(x, n));
  })();
  let error: string | null = null;
  let read: number[] = [];
  try {
    read = Array.from(await be.read(y, n));
  } catch (e) {
    error = String(e);
  }
  await other;
  await be.sync();
  const wrong = read.findIndex((v, i) => v !== Math.max(0, values[i]!));
  (window as unknown as { __result: unknown }).__result = { error, length: read.length, wrong, threads: be.threads };
  be.dispose();
}

if (location.search === '?describe') void describeOnly();
else if (location.search === '?interleaved') void interleavedReads();
else (async () => {
  const failures: string[] = [];
  const descriptions: string[] = [];
  let checks = 0;
  try {
    for (const threads of [1, 2]) {
      const be = await createWasmBackend({ threads, minParallelWork: 0 });
      descriptions.push(be.description);
      checks += await suite(be, failures);
      be.dispose();
    }
  } catch (e) {
    failures.push(`threw: ${(e as Error).stack ?? e}`);
  }
  (window as unknown as { __result: unknown }).__result = { failures, descriptions, checks, isolated: crossOriginIsolated };
})();
