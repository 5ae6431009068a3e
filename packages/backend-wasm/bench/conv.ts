// Quick conv timing on this backend: GFLOP/s of forward, input and filter gradients.
// Run: npx tsx bench/conv.ts (or vitest-free via node --experimental-strip-types is not in Node 20).
import { conv2dGeometry } from '@hypercolumn/core';
import { createWasmBackend } from '../src/index.js';

const threads = Number(process.env.THREADS ?? 1);
const simd = (process.env.SIMD ?? 'auto') as 'auto' | 'plain' | 'relaxed';
const be = await createWasmBackend({ threads, simd });
console.log(be.description);
const workloads = [
  { name: 'A 1x64x56² 3x3 64→64', x: [1, 64, 56, 56], w: [64, 64, 3, 3], o: { padding: 1 } },
  { name: 'B 1x128x28² 3x3 128→128', x: [1, 128, 28, 28], w: [128, 128, 3, 3], o: { padding: 1 } },
  { name: 'C 1x3x224² 7x7/2 3→64', x: [1, 3, 224, 224], w: [64, 3, 7, 7], o: { padding: 3, stride: 2 } },
  { name: 'D dw 1x128x56² 3x3', x: [1, 128, 56, 56], w: [128, 1, 3, 3], o: { padding: 1, groups: 128 } },
  { name: 'E 1x256x14² 1x1 256→256', x: [1, 256, 14, 14], w: [256, 256, 1, 1], o: {} },
];
const rnd = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
for (const wl of workloads) {
  const g = conv2dGeometry('conv2d', wl.x, wl.w, wl.o);
  const x = be.write(rnd(wl.x.reduce((a, b) => a * b)), wl.x);
  const w = be.write(rnd(wl.w.reduce((a, b) => a * b)), wl.w);
  const dy = be.write(rnd(g.yShape.reduce((a, b) => a * b)), g.yShape);
  const flops = 2 * g.yShape.reduce((a, b) => a * b) * (wl.w[1]! * wl.w[2]! * wl.w[3]!);
  const time = (f: () => unknown) => {
    for (let i = 0; i < 3; i++) be.free(f() as never);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      be.free(f() as never);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[5]!;
  };
  const k = be.kernels as Record<string, (...a: unknown[]) => unknown>;
  const fwd = time(() => k.conv2d!({ x: { data: x, shape: wl.x }, w: { data: w, shape: wl.w } }, { geometry: g }, be, { y: g.yShape }));
  const bx = time(() => k.conv2dBackpropInput!({ dy: { data: dy, shape: g.yShape }, w: { data: w, shape: wl.w } }, { geometry: g }, be, { dx: g.xShape }));
  const bw = time(() => k.conv2dBackpropFilter!({ x: { data: x, shape: wl.x }, dy: { data: dy, shape: g.yShape } }, { geometry: g }, be, { dw: g.wShape }));
  const gf = (ms: number) => (flops / ms / 1e6).toFixed(1);
  console.log(`${wl.name}: fwd ${fwd.toFixed(2)} ms (${gf(fwd)} GFLOP/s), dx ${bx.toFixed(2)} ms (${gf(bx)}), dw ${bw.toFixed(2)} ms (${gf(bw)})`);
}
be.dispose();
