// Parallel speedup of the conv workloads: the same calls on a 1-thread and a 2-thread (or [threads]) backend,
// alternating, and the ratio of their fastest wall times (the minimum is the least disturbed figure when
// other jobs share the cores; alternation keeps load drifts from favouring one side).
// Run: node scripts/run-ts.mjs bench/scaling.ts [threads] [rounds]   (ONLY=id,id; default conv B, C, conv1d)
import * as hc from '@hypercolumn/core';
import { selectWorkloads, type ConvSpec } from '../../../conformance/src/bench/workloads.js';
import { createWasmBackend, type WasmBuffer } from '../src/index.js';

const threads = Number(process.argv[3] ?? 2);
const rounds = Number(process.argv[4] ?? 40);
const only = (process.env.ONLY ?? 'conv2d B,conv2d C,conv1d').split(',');
const backends = [await createWasmBackend({ threads: 1 }), await createWasmBackend({ threads })];
console.log(backends.map((b) => b.description).join(' | '));
const rnd = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const workloads = selectWorkloads('full').filter((w) => w.spec.type === 'conv' && (w.spec as ConvSpec).pass === 'forward' && only.includes(w.id));
const runs = workloads.map((w) => {
  const s = w.spec as ConvSpec;
  const [x4, w4] = s.dims === 1 ? [[s.x[0]!, s.x[1]!, 1, s.x[2]!], [s.w[0]!, s.w[1]!, 1, s.w[2]!]] : [s.x, s.w];
  const geometry = hc.conv2dGeometry(w.op, x4, w4, { stride: s.dims === 1 ? [1, s.stride] : s.stride, padding: s.dims === 1 ? [0, s.pad] : s.pad, groups: s.groups });
  const xData = rnd(x4.reduce((a, b) => a * b)), wData = rnd(w4.reduce((a, b) => a * b));
  const calls = backends.map((be) => {
    const x = { data: be.write(xData), shape: x4 }, wt = { data: be.write(wData), shape: w4 };
    const conv = (be.kernels as Record<string, (...a: unknown[]) => WasmBuffer>).conv2d!;
    return () => be.free(conv({ x, w: wt }, { geometry }, be, {}));
  });
  return { id: w.id, calls, fastest: calls.map(() => Infinity) };
});
for (let r = 0; r < rounds; r++) {
  for (const run of runs) {
    run.calls.forEach((call, i) => {
      const t0 = performance.now();
      call();
      run.fastest[i] = Math.min(run.fastest[i]!, performance.now() - t0);
    });
  }
}
for (const { id, fastest: [one, many] } of runs) {
  console.log(`${id.padEnd(10)} 1 thread ${one!.toFixed(2)} ms | ${threads} threads ${many!.toFixed(2)} ms | speedup ${(one! / many!).toFixed(2)}`);
}
for (const be of backends) be.dispose();
