// Pooling kernels alone (no readback), runs alternating: which window shapes are slow. Reports the
// fastest wall time and the median process CPU time per call (CPU time holds up better than wall
// time while other jobs share the cores).
import { pool2dGeometry, type PoolOptions2d } from '@hypercolumn/core';
import { createWasmBackend } from '../src/index.js';
const be = await createWasmBackend({ threads: 1 });
const shape = [8, 64, 112, 112];
const x = be.write(Float32Array.from({ length: 8 * 64 * 112 * 112 }, () => Math.random()));
const variants: [string, PoolOptions2d, 'maxPool2d' | 'avgPool2d'][] = [
  ['max 2x2 s2', { kernelSize: 2 }, 'maxPool2d'],
  ['max 3x3 s2 p0', { kernelSize: 3, stride: 2 }, 'maxPool2d'],
  ['max 3x3 s2 p1', { kernelSize: 3, stride: 2, padding: 1 }, 'maxPool2d'],
  ['avg 2x2 s2', { kernelSize: 2 }, 'avgPool2d'],
];
const wall = new Map<string, number>();
const cpu = new Map<string, number[]>();
for (let round = 0; round < 15; round++) {
  for (const [name, o, op] of variants) {
    const g = pool2dGeometry(op, shape, o);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const y = (be.kernels[op] as (...a: unknown[]) => never)({ x: { data: x, shape } }, { geometry: g, countIncludePad: true }, be, { y: g.yShape });
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    wall.set(name, Math.min(wall.get(name) ?? Infinity, dt));
    if (round >= 3) cpu.set(name, [...(cpu.get(name) ?? []), (c.user + c.system) / 1000]);
    be.free(y);
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
for (const [name, ms] of wall) console.log(`${name}: fastest ${ms.toFixed(2)} ms, median CPU ${median(cpu.get(name)!).toFixed(2)} ms`);
