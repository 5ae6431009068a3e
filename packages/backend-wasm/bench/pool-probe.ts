// Pooling kernels alone (no readback), runs alternating, fastest of each: which window shapes are slow.
import { pool2dGeometry, type PoolOptions2d } from '@hypercolumn/core';
import { createWasmBackend } from '../src/index.js';
const be = await createWasmBackend({ threads: 1 });
const shape = [8, 64, 112, 112];
const x = be.write(Float32Array.from({ length: 8 * 64 * 112 * 112 }, () => Math.random()), shape);
const variants: [string, PoolOptions2d, 'maxPool2d' | 'avgPool2d'][] = [
  ['max 2x2 s2', { kernelSize: 2 }, 'maxPool2d'],
  ['max 3x3 s2 p0', { kernelSize: 3, stride: 2 }, 'maxPool2d'],
  ['max 3x3 s2 p1', { kernelSize: 3, stride: 2, padding: 1 }, 'maxPool2d'],
  ['avg 2x2 s2', { kernelSize: 2 }, 'avgPool2d'],
];
const best = new Map<string, number>();
for (let round = 0; round < 8; round++) {
  for (const [name, o, op] of variants) {
    const g = pool2dGeometry(op, shape, o);
    const t0 = performance.now();
    const y = (be.kernels[op] as (...a: unknown[]) => never)({ x: { data: x, shape } }, { geometry: g, countIncludePad: true }, be, { y: g.yShape });
    best.set(name, Math.min(best.get(name) ?? Infinity, performance.now() - t0));
    be.free(y);
  }
}
for (const [name, ms] of best) console.log(`${name}: ${ms.toFixed(2)} ms`);
