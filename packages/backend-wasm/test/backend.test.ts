// Storage, errors and threads of the wasm backend itself: arena reuse, the memory limit, disposed
// inputs, readInto, and a worker that dies mid-session.
import { describe, expect, it } from 'vitest';
import { HypercolumnError, conv2dGeometry } from '@hypercolumn/core';
import { reference as ref } from '@hypercolumn/conformance-core';
import { createWasmBackend, type WasmBuffer } from '../src/index.js';
import { expectClose, f64, finiteDiff, rand, runKernel } from './harness.js';

describe('wasm backend storage', () => {
  it('reuses freed blocks: a repeated training-like sequence does not grow the arena', async () => {
    const be = await createWasmBackend({ threads: 1 });
    const x = rand([2, 4, 10, 10], 1), w = rand([8, 4, 3, 3], 2);
    const g = conv2dGeometry('conv2d', x.shape, w.shape, { padding: 1 });
    const step = () => {
      runKernel(be, 'conv2d', { x, w }, { geometry: g }, { y: g.yShape });
      runKernel(be, 'conv2dBackpropFilter', { x, dy: rand(g.yShape, 3) }, { geometry: g }, { dw: g.wShape });
      runKernel(be, 'batchNormTraining', { x }, { eps: 1e-5 }, { y: x.shape, mean: [4], variance: [4] });
    };
    step();
    const after1 = be.memory().bytes;
    for (let i = 0; i < 5; i++) step();
    expect(be.memory().bytes).toBe(after1);
    expect(after1).toBeGreaterThan(0);
    be.dispose();
  });

  it('weights packed for one convolution are kept with the weight tensor: right for every later geometry and pass, freed with it', async () => {
    const be = await createWasmBackend({ threads: 1 });
    const wv = rand([8, 4, 3, 3], 7);
    const k = be.kernels as Record<string, (...a: unknown[]) => WasmBuffer>;
    const session = () => {
      const w = be.write(Float32Array.from(wv.data), wv.shape);
      for (const [i, xs] of [[1, 4, 9, 10], [2, 4, 6, 13], [1, 4, 9, 10]].entries()) {
        const xv = rand(xs, 8 + i);
        const x = be.write(Float32Array.from(xv.data), xs);
        const g = conv2dGeometry('conv2d', xs, wv.shape, { padding: 1 });
        const y = k.conv2d!({ x: { data: x, shape: xs }, w: { data: w, shape: wv.shape } }, { geometry: g }, be, { y: g.yShape });
        expectClose(f64(g.yShape, be.readSync!(y, y.size)), ref.conv2d(xv, wv, undefined, { padding: 1 }), 2e-5, `y ${i}`);
        const dyv = rand(g.yShape, 20 + i);
        const dy = be.write(Float32Array.from(dyv.data), g.yShape);
        const dx = k.conv2dBackpropInput!({ dy: { data: dy, shape: g.yShape }, w: { data: w, shape: wv.shape } }, { geometry: g }, be, { dx: xs });
        expectClose(f64(xs, be.readSync!(dx, dx.size)), finiteDiff((v) => ref.conv2d(v, wv, undefined, { padding: 1 }), xv, dyv), 1e-4, `dx ${i}`);
        for (const h of [x, y, dy, dx]) be.free(h);
      }
      // the forward and input-gradient packings stay with w, then go with it
      expect(w.derived?.length).toBe(2);
      be.free(w);
      expect(w.derived).toBe(null);
    };
    session();
    const held = be.memory().bytes;
    // a second session finds every block, the packed weights' included, free again
    session();
    expect(be.memory().bytes).toBe(held);
    be.dispose();
  });

  it('growth past the memory limit is a HypercolumnError, and the backend keeps working', async () => {
    const be = await createWasmBackend({ threads: 1, maxMemoryBytes: 4 << 20 });
    expect(() => be.write(new Float32Array(2 << 20), [2 << 20])).toThrow(HypercolumnError);
    expect(() => be.write(new Float32Array(2 << 20), [2 << 20])).toThrow(/memory expected at most/);
    const x = rand([3, 5], 4);
    const y = runKernel(be, 'relu', { x }, {}, { y: x.shape })[0]!;
    expectClose(y, ref.relu(x), 0);
    be.dispose();
  });

  it('a disposed input is a HypercolumnError naming the kernel and argument', async () => {
    const be = await createWasmBackend({ threads: 1 });
    const d = be.write(new Float32Array([1, -2, 3]), [3]);
    be.free(d);
    expect(() => be.kernels.relu!({ x: { data: d, shape: [3] } }, {}, be, { y: [3] })).toThrow(/relu: x expected a live tensor/);
    be.dispose();
  });

  it('readInto copies into the caller buffer; read resolves the same values', async () => {
    const be = await createWasmBackend({ threads: 1 });
    const d = be.write(new Float32Array([1.5, -2, 3]), [3]);
    const out = new Float32Array(3);
    be.readInto(d, out);
    expect(Array.from(out)).toEqual([1.5, -2, 3]);
    expect(Array.from(await be.read(d, 3))).toEqual([1.5, -2, 3]);
    be.dispose();
  });

  it('reads are copies in a plain ArrayBuffer, also on shared memory: storage reused later leaves them alone', async () => {
    for (const threads of [1, 2]) {
      const be = await createWasmBackend({ threads });
      const d = be.write(new Float32Array([1.5, -2, 3]));
      const got = [await be.read(d, 3), be.readSync!(d, 3)];
      be.free(d);
      // the same size class: the freed block comes back and is overwritten
      const e = be.write(new Float32Array([7, 8, 9]));
      expect(e.ptr).toBe(d.ptr);
      for (const a of got) {
        expect(a.buffer).toBeInstanceOf(ArrayBuffer);
        expect(a.length).toBe(3);
        expect(Array.from(a)).toEqual([1.5, -2, 3]);
      }
      be.dispose();
    }
  });

  it('borrowed arrays are copies until the free, which detaches them and keeps their memory for the next borrow of that size', async () => {
    for (const threads of [1, 2]) {
      const be = await createWasmBackend({ threads });
      const n = 20_000; // 80 KB: above the size borrowed arrays are recycled from
      const values = Float32Array.from({ length: n }, (_, i) => i - n / 2);
      const d = be.write(values);
      const a = await be.borrow(d, n);
      expect(a.buffer).toBeInstanceOf(ArrayBuffer); // never a view of the (shared) wasm memory
      expect(a).toEqual(values);
      const memory = a.buffer;
      be.free(d);
      expect(a.length).toBe(0); // detached: nothing stale to read
      expect(be.memory().borrowBytes).toBe(n * 4);
      const e = be.write(new Float32Array(n).fill(3));
      const b = await be.borrow(e, n);
      expect(b.buffer).not.toBe(memory); // a new ArrayBuffer object ...
      expect(be.memory().borrowBytes).toBe(0); // ... over the kept memory
      expect(b[n - 1]).toBe(3);
      // results under a page are plain copies, left alone by the free; from a page up they are recycled
      const small = be.write(Float32Array.of(1, 2));
      const c = await be.borrow(small, 2);
      const page = be.write(new Float32Array(1024).fill(5));
      const p = await be.borrow(page, 1024);
      expect(p[1023]).toBe(5);
      be.free(small);
      be.free(page);
      be.free(e);
      expect(Array.from(c)).toEqual([1, 2]);
      expect(p.length).toBe(0);
      expect(b.length).toBe(0);
      be.dispose();
      expect(be.memory().borrowBytes).toBe(0);
    }
  });

  it('plain build when deterministic; description names build and threads', async () => {
    const be = await createWasmBackend({ threads: 1, deterministic: true, simd: 'relaxed' });
    expect(be.description).toMatch(/SIMD128 build, 1 thread/);
    be.dispose();
    await expect(createWasmBackend({ threads: 0 })).rejects.toThrow(HypercolumnError);
  });
});

describe('wasm backend threads', () => {
  it('peakGflops runs its probe on every thread and returns a rate, releasing its scratch', async () => {
    for (const threads of [1, 2]) {
      const be = await createWasmBackend({ threads });
      const before = be.memory().bytes;
      const rate = await be.peakGflops();
      expect(Number.isFinite(rate) && rate > 0, `rate ${rate}`).toBe(true);
      // a second call reuses the freed scratch block
      await be.peakGflops();
      expect(be.memory().bytes).toBeLessThanOrEqual(before + 64);
      be.dispose();
    }
  });


  it('threads start in a process whose eval code is a module (--input-type=module, inherited by workers)', async () => {
    const { spawnSync } = await import('node:child_process');
    const entry = new URL('../dist/index.js', import.meta.url).href;
    const code = `const { createWasmBackend } = await import(${JSON.stringify(entry)});
      const be = await createWasmBackend({ threads: 2 });
      const d = be.write(new Float32Array([1, 2, 3]));
      console.log(be.threads, Array.from(await be.read(d, 3)).join(','));
      be.dispose();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2 1,2,3');
  });

  it('a dead worker is a HypercolumnError, then the pool recovers with correct results', async () => {
    const be = await createWasmBackend({ threads: 2, minParallelWork: 0 });
    expect(be.threads).toBe(2);
    const x = rand([2, 3, 9, 9], 5), w = rand([8, 3, 3, 3], 6);
    const g = conv2dGeometry('conv2d', x.shape, w.shape, { padding: 1 });
    const want = ref.conv2d(x, w, undefined, { padding: 1 });
    expectClose(runKernel(be, 'conv2d', { x, w }, { geometry: g }, { y: g.yShape })[0]!, want, 2e-5);
    be.killWorker(0);
    expect(() => runKernel(be, 'conv2d', { x, w }, { geometry: g }, { y: g.yShape })).toThrow(HypercolumnError);
    // while workers restart, calls run on the caller's thread; afterwards on both
    expectClose(runKernel(be, 'conv2d', { x, w }, { geometry: g }, { y: g.yShape })[0]!, want, 2e-5);
    await new Promise((r) => setTimeout(r, 300));
    expectClose(runKernel(be, 'conv2d', { x, w }, { geometry: g }, { y: g.yShape })[0]!, want, 2e-5);
    const m = f64([4], [1, 2, 3, 4]);
    expect(Array.from(runKernel(be, 'relu', { x: m }, {}, { y: [4] })[0]!.data)).toEqual([1, 2, 3, 4]);
    be.dispose();
  });
});

describe('createWasmBackend options', () => {
  // each: the options, the argument the error must name
  const hostile: [unknown, string][] = [
    [{ threads: 0 }, 'threads'], [{ threads: 1.5 }, 'threads'], [{ threads: 'x' }, 'threads'],
    [{ simd: 'fast' }, 'simd'], [{ simd: true }, 'simd'], [{ deterministic: 'yes' }, 'deterministic'],
    [{ maxMemoryBytes: -1 }, 'maxMemoryBytes'], [{ maxMemoryBytes: 65536 }, 'maxMemoryBytes'], [{ maxMemoryBytes: NaN }, 'maxMemoryBytes'],
    [{ minParallelWork: -1 }, 'minParallelWork'], [{ name: '' }, 'name'], [null, 'options'], [[], 'options'],
  ];
  it.each(hostile)('%j is a HypercolumnError naming %s, before anything is compiled', async (options, argument) => {
    const made = createWasmBackend(options as never);
    await expect(made).rejects.toBeInstanceOf(HypercolumnError);
    await expect(made).rejects.toThrow(new RegExp(`^createWasmBackend: ${argument} expected `));
  });

  it('the smallest memory it accepts still runs a kernel', async () => {
    const be = await createWasmBackend({ threads: 1, maxMemoryBytes: 1 << 20, simd: 'plain', deterministic: true });
    const x = be.write(Float32Array.of(-1, 2));
    const y = be.kernels.relu!({ x: { data: x, shape: [2] } } as never, {} as never, be, {} as never) as WasmBuffer;
    expect(Array.from(await be.read(y, 2))).toEqual([0, 2]);
    be.dispose();
  });
});
