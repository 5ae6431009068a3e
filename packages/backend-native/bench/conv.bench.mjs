#!/usr/bin/env node
/**
 * Native against ONNX Runtime node on the benchmark workloads (DESIGN §4), at 1 thread and all cores,
 * in one run on one machine: best and median milliseconds, GFLOP/s (GB/s for memory-bound
 * workloads), the ratios native/peer (> 1: native faster) and, for convolutions, the share of the
 * FMA peak measured by a probe at the same instruction set.
 *
 *   node bench/conv.bench.mjs             conv workloads (forward and backward)
 *   node bench/conv.bench.mjs --all       the whole DESIGN §4 list
 *   node bench/conv.bench.mjs --quick     fewer runs
 * Needs `pnpm build` (dist/ of this package, core and conformance).
 */
import { coreCount, hypercolumnRunner, makeInputs, measure, MEASURE, median, onnxruntimeNodeRunner, WORKLOADS } from '../../../conformance/dist/index.js'; // the workspace's conformance package (it depends on this one, so no package dependency back)
import { createNativeBackend } from '@hypercolumn/backend-native';

const args = new Set(process.argv.slice(2));
const settings = args.has('--quick') ? MEASURE.quick : { ...MEASURE.full, budgetMs: 10_000 };
const workloads = WORKLOADS.filter((w) => args.has('--all') || w.op.startsWith('conv'));
const threads = [...new Set([1, coreCount()])];

const rows = [];
for (const t of threads) {
  const probe = createNativeBackend({ threads: t });
  const peak = await probe.peakGflops();
  console.log(`# ${probe.isa} FMA peak ≈ ${peak.toFixed(1)} GFLOP/s at ${t} thread(s)`);
  probe.dispose();
  const runners = [
    hypercolumnRunner(`native@${t}t`, { create: () => createNativeBackend({ threads: t, name: `native@${t}t` }), threads: t }),
    onnxruntimeNodeRunner(t),
  ];
  for (const r of runners) {
    const why = await r.init();
    if (why) console.log(`# ${r.name}: ${why}`);
  }
  for (const w of workloads) {
    const inputs = makeInputs(w);
    const res = {};
    for (const r of runners) {
      const prepared = await r.prepare(w, inputs).catch((e) => String(e));
      if (typeof prepared === 'string') {
        res[r.name] = { skipped: prepared };
        continue;
      }
      const times = prepared.measure ? await prepared.measure(settings) : await measure(prepared, settings);
      await prepared.dispose();
      res[r.name] = { best: Math.min(...times), median: median(times) };
    }
    const n = res[`hypercolumn:native@${t}t`], o = res['onnxruntime-node'];
    const rate = (ms) => (w.flops ? `${(w.flops / ms / 1e6).toFixed(1)} GFLOP/s` : w.bytes ? `${(w.bytes / ms / 1e6).toFixed(1)} GB/s` : '');
    const row = {
      workload: w.id, threads: t,
      nativeBest: n?.best, nativeMedian: n?.median, ortBest: o?.best, ortMedian: o?.median,
      ratioBest: o?.best && n?.best ? o.best / n.best : undefined,
      ratioMedian: o?.median && n?.median ? o.median / n.median : undefined,
      peakShare: w.flops && n?.best ? w.flops / n.best / 1e6 / peak : undefined,
    };
    rows.push(row);
    const f = (v, d = 3) => (v === undefined ? '—' : v.toFixed(d));
    console.log(
      `${w.id.padEnd(24)} ${t}t  native ${f(row.nativeBest)} / ${f(row.nativeMedian)} ms (${n?.best ? rate(n.best) : n?.skipped}` +
        `${row.peakShare !== undefined ? `, ${(100 * row.peakShare).toFixed(0)}% of peak` : ''})  ort ${f(row.ortBest)} / ${f(row.ortMedian)} ms` +
        `${o?.skipped ? ` (${o.skipped})` : ''}  ratio best ${f(row.ratioBest, 2)}× median ${f(row.ratioMedian, 2)}×`,
    );
  }
  for (const r of runners) await r.close?.();
}
if (args.has('--json')) console.log(JSON.stringify(rows, null, 2));
