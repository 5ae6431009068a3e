// Convolution kernels alone (the conformance workloads, no readback): fastest wall time and median
// process CPU time per call (CPU time holds up better than wall time while other jobs share the
// cores; at 2 threads it sums both threads). Workloads take turns, 15 rounds.
// Run: node scripts/run-ts.mjs bench/conv.ts [threads]   (SIMD=plain|relaxed|auto, ONLY=id,id)
import * as hc from '@hypercolumn/core';
import { selectWorkloads, type ConvSpec } from '../../../conformance/src/bench/workloads.js';
import { createWasmBackend, type WasmBuffer } from '../src/index.js';

const threads = Number(process.argv[3] ?? 1);
const simd = (process.env.SIMD ?? 'auto') as 'auto' | 'plain' | 'relaxed';
const only = process.env.ONLY?.split(',');
const be = await createWasmBackend({ threads, simd });
console.log(be.description);
const rnd = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const k = be.kernels as Record<string, (...a: unknown[]) => WasmBuffer>;
const runs = selectWorkloads('full').filter((w) => w.spec.type === 'conv' && (!only || only.some((o) => w.id.includes(o)))).map((w) => {
  const s = w.spec as ConvSpec;
  const [x4, w4] = s.dims === 1 ? [[s.x[0]!, s.x[1]!, 1, s.x[2]!], [s.w[0]!, s.w[1]!, 1, s.w[2]!]] : [s.x, s.w];
  const geometry = hc.conv2dGeometry(w.op, x4, w4, { stride: s.dims === 1 ? [1, s.stride] : s.stride, padding: s.dims === 1 ? [0, s.pad] : s.pad, groups: s.groups });
  const t = (shape: number[]) => ({ data: be.write(rnd(shape.reduce((a, b) => a * b))), shape });
  const x = t(x4), wt = t(w4), dy = t(geometry.yShape);
  const call = s.pass === 'forward' ? () => k.conv2d!({ x, w: wt }, { geometry }, be, {})
    : s.pass === 'backpropInput' ? () => k.conv2dBackpropInput!({ dy, w: wt }, { geometry }, be, {})
    : () => k.conv2dBackpropFilter!({ x, dy }, { geometry }, be, {});
  return { id: w.id, flops: w.flops!, call, wall: Infinity, cpu: [] as number[] };
});
for (let round = 0; round < 15; round++) {
  for (const r of runs) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    be.free(r.call());
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    r.wall = Math.min(r.wall, dt);
    if (round >= 2) r.cpu.push((c.user + c.system) / 1000);
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
for (const r of runs) {
  const cpu = median(r.cpu);
  console.log(`${r.id.padEnd(14)} fastest ${r.wall.toFixed(2).padStart(7)} ms (${(r.flops / r.wall / 1e6).toFixed(1)} GFLOP/s) | median CPU ${cpu.toFixed(2).padStart(7)} ms (${(r.flops / cpu / 1e6 * threads).toFixed(1)} GFLOP/s at ${threads} thread(s))`);
}
be.dispose();
