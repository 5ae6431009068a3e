/**
 * "Benchmark": the conformance suite's workloads (conformance/src/bench/workloads.ts, DESIGN §4),
 * forward passes, through the public ops on every available backend in this browser: median of
 * `runs` timed runs after one warm-up, each ending with the read-back of the output (as the
 * conformance runner times them). Drawn as GFLOP/s (convolutions) and GB/s (pools, norms).
 * Backward workloads are left to the conformance CLI (they time single backward kernels).
 */
import * as hc from '@hypercolumn/core';
import { WORKLOADS, type Workload } from '../../../../conformance/src/bench/workloads.js';
import { currentThreads, describeBackends, threadsText } from '../backends.js';
import { byId, drawBars, el, errorText, fmt, nextFrame, showError, type Bar } from '../ui.js';

export interface BenchResult {
  workload: string;
  backend: string;
  threads: number | undefined;
  ms: number;
  rate: number;
  unit: 'GFLOP/s' | 'GB/s';
}

/** One op's forward pass: the panel times public ops (the LeNet training step is the train panel's). */
const isForward = (w: Workload): boolean =>
  w.spec.type === 'conv' || w.spec.type === 'norm' ? w.spec.pass === 'forward' : w.spec.type !== 'train';

/** The workload as a call of the public op; inputs are created once, outside the timing. */
function prepare(w: Workload): { run: () => hc.Tensor; inputs: hc.Tensor[] } {
  const rand = new hc.RandomGenerator(7);
  const made: hc.Tensor[] = [];
  const t = (shape: readonly number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = hc.tensor(Float32Array.from({ length: size }, () => rand.nextFloat() * 2 - 1), [...shape]);
    made.push(x);
    return x;
  };
  const s = w.spec;
  switch (s.type) {
    case 'conv': {
      const [x, wt] = [t(s.x), t(s.w)];
      const run = s.dims === 2
        ? () => hc.conv2d(x, wt, null, { stride: s.stride, padding: s.pad, groups: s.groups })
        : () => hc.conv1d(x, wt, null, { stride: s.stride, padding: s.pad, groups: s.groups });
      return { run, inputs: made };
    }
    case 'maxPool2d': {
      const x = t(s.x);
      return { run: () => hc.maxPool2d(x, { kernelSize: s.kernel, stride: s.stride, padding: s.pad }), inputs: made };
    }
    case 'avgPool2d': {
      const x = t(s.x);
      return { run: () => hc.avgPool2d(x, { kernelSize: s.kernel, stride: s.stride, padding: s.pad }), inputs: made };
    }
    case 'globalAvgPool': {
      const x = t(s.x);
      return { run: () => hc.globalAvgPool2d(x), inputs: made };
    }
    case 'norm': {
      const x = t(s.x);
      const c = s.x[1];
      if (s.norm === 'batchNorm') {
        const [mean, weight, bias] = [t([c]), t([c]), t([c])];
        const variance = hc.ones([c]);
        made.push(variance);
        return { run: () => hc.batchNorm(x, mean, variance, weight, bias), inputs: made };
      }
      if (s.norm === 'layerNorm') return { run: () => hc.layerNorm(x, s.x.slice(1)), inputs: made };
      if (s.norm === 'instanceNorm') return { run: () => hc.instanceNorm(x), inputs: made };
      return { run: () => hc.groupNorm(x, s.groups!), inputs: made };
    }
    case 'train':
      throw new Error(`bench panel: ${w.id} is not a single-op workload`);
  }
}

/** Median milliseconds of `runs` runs (after one warm-up), each including the read-back. */
async function time(w: Workload, runs: number): Promise<number> {
  const { run, inputs } = prepare(w);
  try {
    const once = async () => {
      const y = run();
      await y.data().finally(() => y.dispose());
    };
    await once();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await once();
      times.push(performance.now() - t0);
      await nextFrame();
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  } finally {
    for (const t of inputs) t.dispose();
  }
}

const COLORS = ['#3b7dd8', '#2a9d6f', '#8a5cc7', '#c7922a'];
const colorOf = new Map<string, string>();
const backendColor = (name: string): string => {
  if (!colorOf.has(name)) colorOf.set(name, COLORS[colorOf.size % COLORS.length]!);
  return colorOf.get(name)!;
};

export function mountBenchPanel(): void {
  const button = byId<HTMLButtonElement>('bench-run');
  const listSelect = byId<HTMLSelectElement>('bench-list');
  const runsSelect = byId<HTMLSelectElement>('bench-runs');
  const status = byId('bench-status');
  const charts = byId('bench-charts');
  const errorBox = byId('bench-error');

  button.addEventListener('click', async () => {
    button.disabled = true;
    showError(errorBox, undefined);
    const selected = hc.getBackend();
    const results: BenchResult[] = [];
    const skipped: string[] = [];
    try {
      const workloads = WORKLOADS.filter((w) => isForward(w) && (listSelect.value === 'full' || w.quick));
      const backends = (await describeBackends()).filter((b) => b.available).map((b) => b.name);
      const runs = Number(runsSelect.value);
      for (const backend of backends) {
        await hc.setBackend(backend);
        const threads = await currentThreads();
        for (const w of workloads) {
          status.textContent = `${backend}: ${w.id} (${w.description})…`;
          await nextFrame();
          try {
            const ms = await time(w, runs);
            const compute = w.kind === 'compute';
            results.push({ workload: w.id, backend, threads, ms, unit: compute ? 'GFLOP/s' : 'GB/s', rate: (compute ? w.flops! : w.bytes!) / (ms * 1e6) });
          } catch (err) {
            skipped.push(`${w.id} on ${backend}: ${errorText(err)}`);
          }
          draw(results);
        }
      }
      const threads = [...new Map(results.map((r) => [r.backend, r.threads])).entries()].map(([b, n]) => `${b} ${threadsText(b, n)}`).join(', ');
      status.textContent = `done: ${results.length} measurements, median of ${runs} runs each after a warm-up; threads: ${threads}` + (skipped.length ? `; not measured: ${skipped.join('; ')}` : '');
      status.dataset.done = String(results.length);
    } catch (err) {
      showError(errorBox, err, 'benchmark');
    } finally {
      await hc.setBackend(selected).catch(() => undefined);
      button.disabled = false;
    }
  });

  const draw = (results: BenchResult[]) => {
    charts.replaceChildren(
      ...(['GFLOP/s', 'GB/s'] as const).map((unit) => {
        // One workload's backends side by side, in the suite's order.
        const order = (r: BenchResult) => WORKLOADS.findIndex((w) => w.id === r.workload);
        const rows = results.filter((r) => r.unit === unit).sort((a, b) => order(a) - order(b));
        const canvas = el('canvas', { 'data-unit': unit });
        const bars: Bar[] = rows.map((r) => ({
          label: `${r.workload} · ${r.backend}`,
          value: r.rate,
          color: backendColor(r.backend),
          note: `${fmt(r.rate, 2)} ${unit} (${fmt(r.ms, 2)} ms, ${threadsText(r.backend, r.threads)})`,
        }));
        drawBars(canvas, bars, { unit, labelWidth: 230, width: 720 });
        return el('figure', {}, canvas, el('figcaption', {}, unit === 'GFLOP/s' ? 'convolutions: 2·N·O·OH·OW·(C/g)·kh·kw FLOPs per run' : 'pools and norms: compulsory bytes (inputs read once, outputs written once)'));
      }),
    );
  };
}
