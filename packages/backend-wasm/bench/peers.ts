// The conformance workloads on this backend beside tfjs-wasm and onnxruntime-web, at the same thread
// count, in one run: each runner's fastest run in ms, GFLOP/s (convs) or GB/s, its median process CPU time per
// run, and our ratio to the faster peer by both. Also the backend's peak probe (peakGflops: f32x4
// multiply-adds on every thread), so conv rows show a % of peak.
// Run: node scripts/run-ts.mjs bench/peers.ts [threads] [quick|full]   (SIMD=plain|relaxed|auto, ONLY=id,id,
// PAUSE_MS=ms before each turn at 2+ threads, default 100, then an untimed run)
import * as hc from '@hypercolumn/core';
import { selectWorkloads, type Workload } from '../../../conformance/src/bench/workloads.js';
import { makeInputs, MEASURE, type BenchInputs, type BenchRunner, type PreparedRun } from '../../../conformance/src/bench/runner.js';
import { tfjsWasmRunner } from '../../../conformance/src/bench/peers/tfjs.js';
import { onnxruntimeWebRunner } from '../../../conformance/src/bench/peers/onnxruntime.js';
import { workloadCall, type KernelCall } from '../../../conformance/src/bench/hypercolumn.js';
import { createWasmBackend, type WasmBackend, type WasmBuffer } from '../src/index.js';

const threads = Number(process.argv[3] ?? 1);
const mode = (process.argv[4] ?? "quick") as 'quick' | 'full';
const simd = (process.env.SIMD ?? 'auto') as 'auto' | 'plain' | 'relaxed';
const only = process.env.ONLY?.split(',');
/** Pause before each turn at 2+ threads (ms), so no runner's idle-spinning workers overlap the next one. */
const PAUSE_MS = Number(process.env.PAUSE_MS ?? 100);

/** Our runner: the backend's kernel on uploaded inputs, readback of its outputs, free. */
function wasmRunner(be: WasmBackend): BenchRunner {
  return {
    name: 'hypercolumn:wasm',
    threads,
    async init() {
      return undefined;
    },
    async prepare(w: Workload, inputs: BenchInputs): Promise<PreparedRun | string> {
      const made: WasmBuffer[] = [];
      const t = (name: string, shape?: number[]) => {
        const a = inputs[name]!;
        const d = be.write(a.data);
        made.push(d);
        return { data: d, shape: shape ?? a.shape };
      };
      const call = plan(w, t);
      if (typeof call === 'string') return call;
      const k = be.kernels[call.kernel] as unknown as (...a: unknown[]) => WasmBuffer | WasmBuffer[];
      return {
        async run() {
          const out = k(call.inputs, call.attrs, be, {});
          const outs = Array.isArray(out) ? out : [out];
          let first: Float32Array | undefined;
          for (const o of outs.slice(0, call.read)) first ??= await be.read(o, o.size);
          for (const o of outs) be.free(o);
          return first;
        },
        dispose() {
          for (const d of made) be.free(d);
        },
      };
    },
  };
}

type T = { data: WasmBuffer; shape: number[] };
/** The conformance bench's kernel call on raw buffers; norm backward rows need statistics (see there). */
function plan(w: Workload, t: (name: string, shape?: number[]) => T): KernelCall<T> | string {
  const call = workloadCall(w, t);
  if (!call) return 'not a kernel workload';
  if (call.backward) return 'norm backward rows: see the conformance bench';
  return call;
}

const be = await createWasmBackend({ threads, simd });
const peak = await be.peakGflops();
console.log(`${be.description}; SIMD peak probe ${peak.toFixed(1)} GFLOP/s at ${threads} thread(s)`);
const runners = [wasmRunner(be), tfjsWasmRunner(threads), onnxruntimeWebRunner(threads)];
const ready: BenchRunner[] = [];
for (const r of runners) {
  const why = await r.init();
  if (why) console.log(`${r.name}: ${why}`);
  else ready.push(r);
}
// Runners take turns, one run each per round, and each reports its fastest run: on a shared, loaded
// machine the minimum is the least disturbed figure, and turns keep load drifts from favouring one runner.
const rounds = mode === 'full' ? 15 : 7;
for (const w of selectWorkloads(mode)) {
  if (only && !only.some((o) => w.id.includes(o))) continue;
  const inputs = makeInputs(w);
  const prepared: [string, PreparedRun][] = [];
  for (const r of ready) {
    const p = await r.prepare(w, inputs);
    if (typeof p !== 'string') prepared.push([r.name, p]);
  }
  const ms: Record<string, number> = {};
  // process CPU time per run (all threads): less disturbed than wall time when other jobs share the
  // cores, and at 1 thread the work itself (a runner that measures itself: its whole measurement
  // over its runs plus the warm-up)
  const cpu: Record<string, number[]> = {};
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  for (const [name, p] of prepared) {
    if (p.measure) {
      const c0 = process.cpuUsage();
      const times = await p.measure(MEASURE.quick);
      cpu[name] = [cpuMs(process.cpuUsage(c0)) / (times.length + MEASURE.quick.warmup)];
      ms[name] = Math.min(...times);
    } else await p.run(); // warm-up
  }
  const turns = prepared.filter(([, p]) => !p.measure);
  for (let i = 0; i < rounds; i++) {
    for (const [name, p] of turns) {
      // At 2+ threads, onnxruntime-web's workers spin for a while after its run and take cores from the
      // next contender (conv1d at 2 threads: 6.5 ms alone, 11 ms right after onnxruntime-web): pause,
      // then one untimed run so each runner's own threads are awake (spinning is how ORT keeps them so).
      if (threads > 1) {
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        await p.run();
      }
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await p.run();
      const dt = performance.now() - t0;
      (cpu[name] ??= []).push(cpuMs(process.cpuUsage(c0)));
      ms[name] = Math.min(ms[name] ?? Infinity, dt);
    }
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  for (const [, p] of prepared) await p.dispose();
  const rate = (m: number) => (w.flops ? `${(w.flops / m / 1e6).toFixed(1)} GFLOP/s, ${((100 * w.flops) / m / 1e6 / peak).toFixed(0)} % of peak` : `${(w.bytes! / m / 1e6).toFixed(1)} GB/s`);
  const ours = ms['hypercolumn:wasm'];
  const peers = Object.entries(ms).filter(([n]) => n !== 'hypercolumn:wasm').map(([, v]) => v);
  const ratio = ours && peers.length ? (Math.min(...peers) / ours).toFixed(2) : '-';
  const cpuOurs = cpu['hypercolumn:wasm'] ? median(cpu['hypercolumn:wasm']) : 0;
  const cpuPeers = Object.entries(cpu).filter(([n]) => n !== 'hypercolumn:wasm').map(([, v]) => median(v));
  const cpuRatio = cpuOurs && cpuPeers.length ? (Math.min(...cpuPeers) / cpuOurs).toFixed(2) : '-';
  console.log(`${w.id.padEnd(24)} ${Object.entries(ms).map(([n, v]) => `${n} ${v.toFixed(2)} ms (${rate(v)}; CPU ${median(cpu[n] ?? [NaN]).toFixed(2)} ms)`).join(' | ')} | ratio to faster peer ${ratio}× (CPU time ${cpuRatio}×)`);
}
be.dispose();
for (const r of ready) await r.close?.();
process.exit(0);
