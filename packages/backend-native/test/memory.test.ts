import * as hc from '@hypercolumn/core';
import { describe, expect, it, vi } from 'vitest';
import { createNativeBackend, nativeKernels } from '../src/index.js';
import { skipReason } from './helpers.js';

describe('native storage', () => {
  it.skipIf(skipReason !== undefined)('a repeated conv forward/backward through the engine leaves no tensor and no growth of pooled bytes', async () => {
    await hc.setBackend('native');
    const step = () =>
      hc.scope(() => {
        const x = hc.randn([2, 3, 9, 9]);
        const w = hc.randn([4, 3, 3, 3]);
        w.requiresGrad = true;
        hc.sum(hc.relu(hc.conv2d(x, w, null, { padding: 1 }))).backward();
        w.dispose(); // with its gradient
      });
    // warm-up: the pool grows to the largest set of buffers live at once (core may release some
    // storage a step later), then stays there
    for (let i = 0; i < 8; i++) step();
    const before = hc.memory();
    for (let i = 0; i < 5; i++) step();
    const after = hc.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.backends.native?.backendBytes).toBe(before.backends.native?.backendBytes);
    expect(after.backends.native?.backendBytes).toBeGreaterThan(0); // the pool is counted
  });

  it.skipIf(skipReason !== undefined)('adopt takes the caller\'s array without a copy; readInto copies once; free releases', () => {
    const b = createNativeBackend({ threads: 1 });
    const values = Float32Array.from({ length: 1000 }, (_, i) => i - 500);
    const bytes0 = b.memory().bytes;
    const h = b.adopt(values, [1000]);
    expect(b.memory().bytes).toBe(bytes0); // nothing allocated for adopted storage
    const y = nativeKernels.relu!({ x: { data: h, shape: [1000] } }, {} as never, b, { y: [1000] });
    const out = new Float32Array(1000);
    b.readInto(y, out);
    expect(out[0]).toBe(0);
    expect(out[999]).toBe(499);
    expect(() => b.readInto(y, new Float32Array(999))).toThrow(hc.HypercolumnError);
    b.free(y);
    b.free(h);
    expect(b.liveCount()).toBe(0);
    expect(() => b.readSync(h, 1000)).toThrow(/freed/);
    b.dispose();
  });

  it.skipIf(skipReason !== undefined)('bad kernel arguments become HypercolumnError naming the op, and leave nothing allocated', () => {
    const b = createNativeBackend({ threads: 2 });
    const x = b.write(new Float32Array(12), [3, 4]);
    expect(() => nativeKernels.softmax!({ x: { data: x, shape: [3, 4] } }, { outer: 3, axisSize: 5, inner: 1 }, b, { y: [3, 4] })).toThrow(
      expect.objectContaining({ name: 'HypercolumnError', op: 'softmax' }),
    );
    expect(() => nativeKernels.relu!({ x: { data: x, shape: [3, 5] } }, {} as never, b, { y: [3, 5] })).toThrow(/holds 12 elements/);
    expect(b.liveCount()).toBe(1);
    b.free(x);
    b.dispose();
  });

  it('without a built addon the backend is unavailable with the reason and the fix', async () => {
    vi.resetModules();
    const saved = process.env.HYPERCOLUMN_NATIVE_ADDON;
    process.env.HYPERCOLUMN_NATIVE_ADDON = '/nonexistent/hypercolumn_native.node';
    try {
      const mod = await import('../src/index.js?unavailable' as string);
      expect(mod.nativeUnavailableReason()).toMatch(/not built.*to fix: install a C\+\+17 compiler/s);
      expect(() => mod.createNativeBackend()).toThrow(/native backend unavailable/);
    } finally {
      if (saved === undefined) delete process.env.HYPERCOLUMN_NATIVE_ADDON;
      else process.env.HYPERCOLUMN_NATIVE_ADDON = saved;
    }
  });
});
