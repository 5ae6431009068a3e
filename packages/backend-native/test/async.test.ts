/**
 * Large convolutions run off the JS thread: the kernel returns its handle at once, `await data()` lets
 * the event loop run until the result is ready, frees of storage a queued kernel reads are deferred,
 * synchronous reads wait, and bad arguments still throw at the call. Values are checked against
 * float64 sums written here from the definition of the correlation.
 */
import * as hc from '@hypercolumn/core';
import { conv2dGeometry, HypercolumnError, RandomGenerator } from '@hypercolumn/core';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../src/addon.js';
import { createNativeBackend, nativeKernels, type NativeBackend } from '../src/index.js';
import { skipReason } from './helpers.js';

const rng = new RandomGenerator(99);
const uniform = (n: number) => Float32Array.from({ length: n }, () => rng.nextFloat() * 2 - 1);

/** y[n][o][oy][ox] of a stride-1 correlation with symmetric padding p, in float64. */
function convAt(x: Float32Array, xs: number[], w: Float32Array, ws: number[], p: number, n: number, o: number, oy: number, ox: number) {
  const [, C, H, W] = xs as [number, number, number, number];
  const [, , kh, kw] = ws as [number, number, number, number];
  let s = 0;
  for (let c = 0; c < C; c++)
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++) {
        const iy = oy - p + ky, ix = ox - p + kx;
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
        s += x[((n * C + c) * H + iy) * W + ix]! * w[((o * C + c) * kh + ky) * kw + kx]!;
      }
  return s;
}

describe.skipIf(skipReason !== undefined)('kernels off the JS thread', () => {
  // 1×64×96² 3×3 → 64: 0.68 GFLOP a call, milliseconds on one core
  const xs = [1, 64, 96, 96], ws = [64, 64, 3, 3];
  const x = uniform(64 * 96 * 96), w = uniform(64 * 64 * 9);
  const made: NativeBackend[] = [];
  afterAll(() => made.forEach((b) => b.dispose()));

  /** Counts event-loop timer ticks while three chained convolutions run and the last is read. */
  async function ticksDuringConvs(asyncMinFlops: number) {
    const name = `native-async-${asyncMinFlops}`;
    hc.registerBackend(name, () => {
      const b = createNativeBackend({ name, threads: 1, asyncMinFlops });
      made.push(b);
      return b;
    });
    await hc.setBackend(name);
    const xt = hc.tensor(x, xs), wt = hc.tensor(w, ws);
    const y1 = hc.conv2d(xt, wt, null, { padding: 1 });
    const y2 = hc.conv2d(y1, wt, null, { padding: 1 });
    const y = hc.conv2d(y2, wt, null, { padding: 1 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const values = await y.data();
    clearInterval(timer);
    const first = hc.conv2d(xt, wt, null, { padding: 1 });
    const firstValues = first.dataSync();
    for (const t of [xt, wt, y1, y2, y, first]) t.dispose();
    hc.removeBackend(name);
    return { ticks, values, firstValues };
  }

  it('the event loop keeps ticking while queued convolutions run and are read; results are right', async () => {
    const queued = await ticksDuringConvs(0);
    const inline = await ticksDuringConvs(Infinity);
    // inline, `await data()` finds the result computed before it: no timer can fire in between
    expect(inline.ticks).toBe(0);
    expect(queued.ticks).toBeGreaterThan(0);
    // the first convolution against float64 sums at a few points (corners, borders, inside)
    for (const [o, oy, ox] of [[0, 0, 0], [63, 95, 95], [17, 0, 50], [5, 48, 0], [40, 33, 71]] as const) {
      const want = convAt(x, xs, w, ws, 1, 0, o, oy, ox);
      const got = queued.firstValues[(o * 96 + oy) * 96 + ox]!;
      expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-4 * 64 * 9);
    }
    // the same kernels, queued or inline, give the same bits
    let differing = 0;
    for (let i = 0; i < inline.values.length; i++) if (!Object.is(queued.values[i], inline.values[i])) differing++;
    expect(queued.values.length).toBe(inline.values.length);
    expect(differing).toBe(0);
  });

  it('frees of queued inputs are deferred, sync reads wait, sync() resolves when the queue is done', async () => {
    const b = createNativeBackend({ threads: 2, asyncMinFlops: 0 });
    made.push(b);
    const g = conv2dGeometry('conv2d', xs, ws, { padding: 1 });
    const xh = b.write(x, xs), wh = b.write(w, ws);
    const y1 = nativeKernels.conv2d!({ x: { data: xh, shape: xs }, w: { data: wh, shape: ws } }, { geometry: g } as never, b, { y: [1, 64, 96, 96] });
    const y2 = nativeKernels.conv2d!({ x: { data: y1, shape: xs }, w: { data: wh, shape: ws } }, { geometry: g } as never, b, { y: [1, 64, 96, 96] });
    b.free(xh); // both queued kernels still read these
    b.free(wh);
    b.free(y1);
    expect(b.liveCount()).toBe(1);
    expect(() => b.readSync(y1, y1.size)).toThrow(/freed/);
    const done = b.sync();
    const v1 = new Float32Array(y2.size);
    b.readInto(y2, v1); // waits for both
    await done;
    // y2 = w ⋆ (w ⋆ x): check one inner point of the second convolution from float64 sums of the first
    const inner = new Float64Array(64 * 9);
    for (let c = 0; c < 64; c++)
      for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) inner[(c * 3 + ky) * 3 + kx] = convAt(x, xs, w, ws, 1, 0, c, 40 + ky, 40 + kx);
    let want = 0;
    for (let c = 0; c < 64; c++) for (let k = 0; k < 9; k++) want += inner[c * 9 + k]! * w[c * 9 + k]!;
    expect(Math.abs(v1[(0 * 96 + 41) * 96 + 41]! - want)).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(want)));
    b.free(y2);
    expect(b.liveCount()).toBe(0);
  });

  it('bad arguments to a queued convolution throw at the call and leave nothing allocated', () => {
    const b = createNativeBackend({ threads: 1, asyncMinFlops: 0 });
    made.push(b);
    const g = conv2dGeometry('conv2d', xs, ws, { padding: 1 });
    const xh = b.write(x, xs), wh = b.write(w, ws);
    const bad = { ...g, outHeight: g.outHeight + 1 };
    expect(() =>
      nativeKernels.conv2d!({ x: { data: xh, shape: xs }, w: { data: wh, shape: ws } }, { geometry: bad } as never, b, { y: [1, 64, 97, 96] }),
    ).toThrow(HypercolumnError);
    expect(b.liveCount()).toBe(2);
    // a kernel queued and then the backend disposed: dispose waits for it, nothing crashes
    nativeKernels.conv2d!({ x: { data: xh, shape: xs }, w: { data: wh, shape: ws } }, { geometry: g } as never, b, { y: [1, 64, 96, 96] });
    b.dispose();
  });

  it('a process that exits with queued work and lent readback arrays, never disposing, exits cleanly', () => {
    const loaded = loadAddon();
    if (!('addon' in loaded)) throw new Error(loaded.reason);
    // raw binding in a child: two contexts, queued convolutions (one read, one still running at exit)
    const child = `
      const addon = require(${JSON.stringify(process.env.HYPERCOLUMN_NATIVE_ADDON ?? new URL('../build/hypercolumn_native.node', import.meta.url).pathname)});
      const kernels = new addon.Context(1).info().kernels;
      const conv = kernels.indexOf('conv2d');
      const attrs = [1, 32, 64, 64, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 64, 64];
      for (const threads of [1, 2]) {
        const ctx = new addon.Context(threads, undefined, 0);
        const x = ctx.write(new Float32Array(32 * 64 * 64).fill(1)), w = ctx.write(new Float32Array(32 * 32 * 9).fill(1));
        const args = new Float64Array([3, x, 4, 1, 32, 64, 64, w, 4, 32, 32, 3, 3, -1, 0, 1, 4, 1, 32, 64, 64, 18, ...attrs]);
        const ids = new Float64Array(4);
        ctx.exec(conv, args, ids);
        // undefined when the job is already done
        (ctx.readAsync(ids[0]) ?? Promise.resolve(ctx.readNew(ids[0]))).then((v) => { globalThis.kept = v; if (v[64 * 64 + 65] !== 32 * 9) process.exitCode = 3; });
        ctx.exec(conv, args, ids);
      }`;
    const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
  });
});
