import { describe, expect, it } from 'vitest';
import '@hypercolumn/backend-cpu';
import { listBackends } from '@hypercolumn/core';
import {
  attachRatios, benchRunners, convFlops, filterFromHWIO, fromChannelsLast, hypercolumnRunner, measure, median, onnxruntimeNodeRunner, runBench, selectWorkloads, tfjsCpuRunner,
  WORKLOADS, workloadBytes, type BenchRunner, type MeasureOptions, type Workload,
} from '../src/bench/index.js';
import { otherThreadsCpuNs, SETTLE_WINDOW_MS, settleThreads, SLOW_RUN_MS, type SettleProbe } from '../src/bench/runner.js';
import type { ConvSpec } from '../src/bench/workloads.js';
import type { BenchResult } from '../src/types.js';

const byId = (id: string) => {
  const w = WORKLOADS.find((x) => x.id === id);
  if (!w) throw new Error(`no workload ${id}`);
  return w;
};

describe('workload list', () => {
  it('has every workload of DESIGN §4', () => {
    const ids = WORKLOADS.map((w) => w.id);
    for (const id of [
      'conv2d A', 'conv2d B', 'conv2d C', 'conv2d D', 'conv2d E', 'conv1d', 'maxPool2d 2×2 s2', 'maxPool2d 3×3 s2 p1',
      'avgPool2d 2×2 s2', 'globalAvgPool 8×512×7²', 'globalAvgPool 8×64×56²', 'batchNorm', 'instanceNorm', 'groupNorm', 'layerNorm',
      'conv2d A ∂x', 'conv2d A ∂w', 'conv2d E ∂x', 'conv2d E ∂w',
      'batchNorm backward', 'instanceNorm backward', 'groupNorm backward', 'layerNorm backward',
    ]) expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(selectWorkloads('quick').length).toBeLessThan(WORKLOADS.length);
    expect(selectWorkloads('full', { ops: ['maxPool2d'] }).map((w) => w.id)).toEqual(['maxPool2d 2×2 s2', 'maxPool2d 3×3 s2 p1']);
  });

  it('counts conv FLOPs as 2·N·O·OH·OW·C/g·kh·kw', () => {
    expect(byId('conv2d A').flops).toBe(2 * 1 * 64 * 56 * 56 * 64 * 3 * 3);
    expect(byId('conv2d B').flops).toBe(2 * 8 * 64 * 112 * 112 * 3 * 7 * 7);
    expect(byId('conv2d C').flops).toBe(2 * 1 * 256 * 14 * 14 * 256 * 3 * 3);
    expect(byId('conv2d D').flops).toBe(2 * 1 * 64 * 56 * 56 * 256);
    expect(byId('conv2d E').flops).toBe(2 * 64 * 6 * 28 * 28 * 1 * 5 * 5);
    expect(byId('conv1d').flops).toBe(2 * 8 * 64 * 1024 * 64 * 9);
    // Backward kernels count what the forward pass counts.
    expect(byId('conv2d A ∂x').flops).toBe(byId('conv2d A').flops);
    expect(byId('conv2d E ∂w').flops).toBe(byId('conv2d E').flops);
    // Groups divide the per-output work.
    const grouped: ConvSpec = { type: 'conv', dims: 2, x: [2, 8, 10, 10], w: [4, 2, 3, 3], stride: 2, pad: 1, groups: 4, pass: 'forward' };
    expect(convFlops(grouped)).toBe(2 * 2 * 4 * 5 * 5 * 2 * 3 * 3);
  });

  it('counts bytes read + written for memory-bound workloads', () => {
    const big = 8 * 64 * 112 * 112;
    expect(byId('maxPool2d 2×2 s2').bytes).toBe(4 * (big + 8 * 64 * 56 * 56));
    expect(byId('maxPool2d 3×3 s2 p1').bytes).toBe(4 * (big + 8 * 64 * 56 * 56));
    expect(byId('globalAvgPool 8×512×7²').bytes).toBe(4 * (8 * 512 * 49 + 8 * 512));
    const x = 8 * 64 * 56 * 56;
    expect(byId('batchNorm').bytes).toBe(4 * (2 * x + 4 * 64));
    expect(byId('groupNorm').bytes).toBe(4 * (2 * x + 2 * 64));
    expect(byId('layerNorm').bytes).toBe(4 * (2 * x + 2 * 64 * 56 * 56));
    expect(byId('instanceNorm backward').bytes).toBe(4 * (3 * x + 3 * 64));
    expect(() => workloadBytes(byId('conv2d A').spec)).toThrow();
    for (const w of WORKLOADS) {
      const measures = [w.flops, w.bytes, w.images].filter((m) => m !== undefined);
      expect(measures).toHaveLength(1); // one unit per workload
      expect(w.kind === 'compute' ? w.flops : w.kind === 'memory' ? w.bytes : w.images).toBeGreaterThan(0);
    }
  });
});

describe('median and ratio maths', () => {
  it('takes the median of odd and even counts without reordering the input', () => {
    const xs = [5, 1, 4, 2, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 4, 2, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow();
  });

  it('compares hypercolumn runners with the fastest peer at the same thread count', () => {
    const r = (runner: string, threads: number, medianMs: number, extra: Partial<BenchResult> = {}): BenchResult => ({
      workload: 'w', op: 'conv2d', runner, threads, medianMs, runs: 10, ...extra,
    });
    const results = attachRatios([
      r('hypercolumn:cpu', 1, 20),
      r('hypercolumn:wasm', 2, 5),
      r('tfjs-cpu', 1, 100),
      r('onnxruntime-node', 1, 10),
      r('onnxruntime-node', 2, 4),
      r('tfjs-wasm', 1, 1, { skipped: 'no', medianMs: 0, runs: 0 }),
      r('onnxruntime-web', 1, 8, { workload: 'other' }),
      r('hypercolumn:native', 4, 1),
    ]);
    expect(results[0]).toMatchObject({ ratioToBestPeer: 0.5, bestPeer: 'onnxruntime-node' });
    expect(results[1]).toMatchObject({ ratioToBestPeer: 0.8, bestPeer: 'onnxruntime-node' });
    expect(results[2]!.ratioToBestPeer).toBeUndefined(); // peers get no ratio
    expect(results[7]!.ratioToBestPeer).toBeUndefined(); // no peer at 4 threads
    expect(results[7]!.bestPeer).toBeUndefined();
  });

  it('measures warm-up plus at least minRuns, extending to minTimeMs up to maxRuns', async () => {
    let clock = 0;
    let calls = 0;
    const prepared = { run: () => { calls++; clock += 10; }, dispose() {} };
    const times = await measure(prepared, { warmup: 2, minRuns: 3, maxRuns: 8, minTimeMs: 55 }, () => clock);
    expect(calls).toBe(2 + 6); // 6 runs of 10 ms reach 55 ms
    expect(times).toEqual([10, 10, 10, 10, 10, 10]);
    calls = 0;
    expect(await measure(prepared, { warmup: 0, minRuns: 3, maxRuns: 4, minTimeMs: 1e9 }, () => clock)).toHaveLength(4);
  });
});

describe('a tiny workload on hypercolumn cpu and on peers', () => {
  const spec: ConvSpec = { type: 'conv', dims: 2, x: [1, 2, 6, 6], w: [3, 2, 3, 3], stride: 1, pad: 1, groups: 1, pass: 'forward' };
  const tiny: Workload = { id: 'tiny conv', op: 'conv2d', description: '1×2×6² 3×3 p1 →3', kind: 'compute', quick: true, spec, flops: convFlops(spec) };

  it('times the same workload on every runner and fills GFLOP/s and ratios', async () => {
    const results = await runBench({
      mode: 'quick',
      custom: { workloads: [tiny], only: true },
      runners: [hypercolumnRunner('cpu'), onnxruntimeNodeRunner(1), tfjsCpuRunner()],
      measure: { warmup: 1, minRuns: 3, maxRuns: 3, minTimeMs: 0 },
    });
    expect(results.map((r) => r.runner)).toEqual(['hypercolumn:cpu', 'onnxruntime-node', 'tfjs-cpu']);
    for (const r of results) {
      expect(r.skipped, `${r.runner}: ${r.skipped}`).toBeUndefined();
      expect(r.runs).toBe(3);
      expect(r.threads).toBe(1);
      expect(r.medianMs).toBeGreaterThan(0);
      expect(r.gflops).toBeCloseTo(2 * 3 * 36 * 2 * 9 / (r.medianMs * 1e6), 12);
      expect(r.gbps).toBeUndefined();
    }
    const [own, ...peers] = results;
    const best = peers.reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
    expect(own!.bestPeer).toBe(best.runner);
    expect(own!.ratioToBestPeer).toBeCloseTo(best.medianMs / own!.medianMs, 12);
  });

  it('reports a runner that cannot start, and a missing op, as skipped with the reason', async () => {
    const results = await runBench({
      mode: 'quick',
      custom: { workloads: [{ ...WORKLOADS.find((w) => w.id === 'conv2d E ∂w')!, spec: { ...spec, pass: 'backpropFilter' } }], only: true },
      runners: [hypercolumnRunner('no-such-backend'), onnxruntimeNodeRunner(1)],
      measure: { warmup: 0, minRuns: 1, maxRuns: 1, minTimeMs: 0 },
    });
    expect(results[0]!.skipped).toMatch(/not registered/);
    expect(results[1]!.skipped).toMatch(/ONNX has no filter-gradient op/);
    expect(results[0]!.ratioToBestPeer).toBeUndefined();
  });
});

describe('thread variants of hypercolumn backends', () => {
  const spec: ConvSpec = { type: 'conv', dims: 2, x: [1, 2, 6, 6], w: [3, 2, 3, 3], stride: 1, pad: 1, groups: 1, pass: 'forward' };
  const tiny: Workload = { id: 'tiny conv', op: 'conv2d', description: '1×2×6² 3×3 p1 →3', kind: 'compute', quick: true, spec, flops: convFlops(spec) };

  it('runs a backend at each thread count through its package factory, and unregisters the variants afterwards', async () => {
    const runners = await benchRunners({ backends: ['cpu'], peers: [], threads: [1, 2] });
    expect(runners.map((r) => r.name)).toEqual(['hypercolumn:cpu@1t', 'hypercolumn:cpu@2t']);
    const results = await runBench({ mode: 'quick', custom: { workloads: [tiny], only: true }, runners, measure: { warmup: 0, minRuns: 1, maxRuns: 1, minTimeMs: 0 } });
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ runner: 'hypercolumn:cpu@1t', threads: 1, runs: 1 });
    expect(results[0]!.skipped).toBeUndefined();
    // createCpuBackend({threads: 2}) is accepted, but cpu kernels run on the calling thread: it says so
    expect(results[1]).toMatchObject({ runner: 'hypercolumn:cpu@2t', skipped: 'asked for 2 threads, the backend runs 1' });
    const names = (await listBackends()).map((b) => b.name);
    expect(names).not.toContain('cpu@1t');
    expect(names).not.toContain('cpu@2t');
  });

  it('skips a variant whose backend runs another thread count than asked, saying so', async () => {
    const { createCpuBackend } = await import('@hypercolumn/backend-cpu');
    const oneThread = () => Object.assign(createCpuBackend(), { threads: 1 });
    const results = await runBench({
      mode: 'quick',
      custom: { workloads: [tiny], only: true },
      runners: [hypercolumnRunner('cpu@4t', { create: oneThread, threads: 4 })],
      measure: { warmup: 0, minRuns: 1, maxRuns: 1, minTimeMs: 0 },
    });
    expect(results[0]!.skipped).toBe('asked for 4 threads, the backend runs 1');
    expect(results[0]!.threads).toBe(1);
  });
});

describe('every runner computes the same thing', () => {
  const conv = (x: number[], w: number[], stride: number, pad: number, pass: ConvSpec['pass']): ConvSpec => ({ type: 'conv', dims: x.length === 3 ? 1 : 2, x, w, stride, pad, groups: 1, pass });
  const cases: [string, Workload['spec'], number[]][] = [
    ['conv2d', conv([2, 3, 7, 7], [4, 3, 3, 3], 2, 1, 'forward'), [2, 4, 4, 4]],
    ['conv1d', conv([2, 3, 9], [4, 3, 3], 1, 1, 'forward'), [2, 4, 9]],
    ['conv2dBackpropInput', conv([2, 3, 6, 6], [4, 3, 3, 3], 1, 1, 'backpropInput'), [2, 3, 6, 6]],
    ['conv2dBackpropFilter', conv([2, 3, 6, 6], [4, 3, 3, 3], 1, 1, 'backpropFilter'), [4, 3, 3, 3]],
    ['maxPool2d', { type: 'maxPool2d', x: [2, 3, 8, 8], kernel: 3, stride: 2, pad: 1 }, [2, 3, 4, 4]],
    ['avgPool2d', { type: 'avgPool2d', x: [2, 3, 8, 8], kernel: 2, stride: 2, pad: 0 }, [2, 3, 4, 4]],
    ['globalAvgPool2d', { type: 'globalAvgPool', x: [2, 3, 5, 5] }, [2, 3, 1, 1]],
    ['batchNorm', { type: 'norm', norm: 'batchNorm', x: [2, 4, 3, 3], pass: 'forward' }, [2, 4, 3, 3]],
    ['instanceNorm', { type: 'norm', norm: 'instanceNorm', x: [2, 4, 3, 3], pass: 'forward' }, [2, 4, 3, 3]],
    ['groupNorm', { type: 'norm', norm: 'groupNorm', groups: 2, x: [2, 4, 3, 3], pass: 'forward' }, [2, 4, 3, 3]],
    ['layerNorm', { type: 'norm', norm: 'layerNorm', x: [2, 4, 3, 3], pass: 'forward' }, [2, 4, 3, 3]],
  ];
  const runners = [hypercolumnRunner('cpu'), onnxruntimeNodeRunner(1), tfjsCpuRunner()];

  it.each(cases)('%s', async (op, spec, outShape) => {
    const w: Workload = { id: `tiny ${op}`, op, description: '', kind: 'memory', quick: true, spec };
    const { makeInputs } = await import('../src/bench/runner.js');
    const inputs = makeInputs(w, 7);
    const outputs: [string, Float32Array][] = [];
    for (const r of runners) {
      expect(await r.init()).toBeUndefined();
      const prepared = await r.prepare(w, inputs);
      if (typeof prepared === 'string') {
        expect(prepared, `${r.name} ${op}`).toMatch(/has no/); // only a peer without the op may skip
        continue;
      }
      let y = (await prepared.run()) as Float32Array;
      await prepared.dispose();
      if (r.name === 'tfjs-cpu') y = op === 'conv2dBackpropFilter' ? filterFromHWIO(y, outShape) : fromChannelsLast(y, outShape);
      outputs.push([r.name, y]);
    }
    expect(outputs[0]![0]).toBe('hypercolumn:cpu');
    expect(outputs.length).toBeGreaterThan(1); // at least one peer has every op here
    const ref = outputs[0]![1];
    expect(ref.length).toBe(outShape.reduce((a, b) => a * b, 1));
    for (const [name, y] of outputs.slice(1)) {
      expect(y.length, name).toBe(ref.length);
      for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i]! - ref[i]!), `${name}[${i}]`).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
    }
  });
});

describe('hypercolumn readback', () => {
  it('reads results with borrow(): a run returns values that stay valid until the next run, which frees them first; dispose leaves nothing', async () => {
    const hc = await import('@hypercolumn/core');
    const { createCpuBackend } = await import('@hypercolumn/backend-cpu');
    // a cpu backend that lends copies and wipes them on free, as native detaches borrowed arrays
    const lent = new Map<Float32Array, Float32Array>();
    const create = () => {
      const b = createCpuBackend({ name: 'borrower', threads: 1 });
      const free = b.free.bind(b);
      return Object.assign(b, {
        borrow: (data: Float32Array, size: number) => {
          const out = data.slice(0, size);
          lent.set(data, out);
          return Promise.resolve(out);
        },
        free: (data: Float32Array) => {
          lent.get(data)?.fill(NaN);
          lent.delete(data);
          free(data);
        },
      });
    };
    const runner = hypercolumnRunner('borrower', { create, threads: 1 });
    const w: Workload = { id: 'tiny pool', op: 'maxPool2d', description: '', kind: 'memory', quick: true, spec: { type: 'maxPool2d', x: [1, 1, 4, 4], kernel: 2, stride: 2, pad: 0 } };
    const { makeInputs } = await import('../src/bench/runner.js');
    const inputs = makeInputs(w, 3);
    expect(await runner.init()).toBeUndefined();
    const prepared = await runner.prepare(w, inputs);
    if (typeof prepared === 'string') throw new Error(prepared);
    const x = inputs.x!.data;
    const want = [0, 2, 8, 10].map((i) => Math.max(x[i]!, x[i + 1]!, x[i + 4]!, x[i + 5]!));
    const first = (await prepared.run()) as Float32Array;
    expect(Array.from(first)).toEqual(want);
    expect(lent.size).toBe(1); // the output of this run only: prepare's own run was freed by it
    const second = (await prepared.run()) as Float32Array;
    expect(first.every(Number.isNaN)).toBe(true); // freed by the second run
    expect(Array.from(second)).toEqual(want);
    await prepared.dispose();
    expect(second.every(Number.isNaN)).toBe(true);
    expect(hc.memory().backends.borrower?.tensors ?? 0).toBe(0);
    await runner.close?.();
  });
});

describe('warm-up', () => {
  it('stops warming up after warmupMaxMs (at least one run)', async () => {
    let clock = 0;
    let calls = 0;
    const prepared = { run: () => { calls++; clock += 700; }, dispose() {} };
    const times = await measure(prepared, { warmup: 3, warmupMaxMs: 1000, minRuns: 2, maxRuns: 2, minTimeMs: 0 }, () => clock);
    expect(calls).toBe(2 + 2);
    expect(times).toEqual([700, 700]);
  });
});

describe('settling before a measurement', () => {
  // a fake process: its other threads use `busy[i]` ms of CPU in the i-th 20 ms window, then none
  const fakeProcess = (busy: number[], readable = true) => {
    let clock = 0;
    let cpuNs = 0;
    let window = 0;
    const probe: SettleProbe = {
      now: () => clock,
      cpuNs: () => (readable ? cpuNs : undefined),
      runtimeCpuNs: () => undefined,
      sleep: async (ms) => {
        clock += ms;
        if (ms === SETTLE_WINDOW_MS) cpuNs += (busy[window++] ?? 0) * 1e6;
      },
    };
    return probe;
  };

  it('waits the fixed settle, then until the other threads use under a tenth of a core over a window', async () => {
    expect(await settleThreads(100, 3000, fakeProcess([20, 20, 15, 1]))).toBe(100 + 4 * SETTLE_WINDOW_MS);
    expect(await settleThreads(0, 3000, fakeProcess([]))).toBe(SETTLE_WINDOW_MS); // idle: one window
    // 2 ms in 20 is a tenth: still busy
    expect(await settleThreads(0, 3000, fakeProcess([2, 1.9]))).toBe(2 * SETTLE_WINDOW_MS);
  });

  it('gives up at maxMs when the threads never go idle, and waits only the fixed settle where they cannot be seen', async () => {
    expect(await settleThreads(100, 500, fakeProcess(Array(1000).fill(20)))).toBe(500);
    expect(await settleThreads(100, 3000, fakeProcess([20, 20], false))).toBe(100);
  });

  it("warms up until V8's own threads stay idle over a window (they compile the runner's code), at most warmupMaxMs more", async () => {
    // runs of 5 ms; V8's threads work `busyMs` per 20 ms of runs for the first `busyWindows` windows
    const warmUp = async (busyWindows: number, busyMs = 10) => {
      let clock = 0;
      let runs = 0;
      const probe: SettleProbe = {
        now: () => clock,
        cpuNs: () => undefined,
        runtimeCpuNs: () => Math.min(Math.floor(clock / SETTLE_WINDOW_MS), busyWindows) * busyMs * 1e6,
        sleep: async (ms) => void (clock += ms),
      };
      const prepared = { run: () => void (runs++, (clock += 5)), dispose() {} };
      const opts = { warmup: 2, warmupMaxMs: 1000, minRuns: 1, maxRuns: 1, minTimeMs: 0, settleMs: 0 };
      await measure(prepared, opts, () => clock, probe);
      return runs - 1; // warm-up runs
    };
    expect(await warmUp(0)).toBe(2 + 4); // the 2 runs, then one quiet window of 4 runs
    expect(await warmUp(5)).toBe(2 + 4 * (5 + 1)); // five busy windows, then a quiet one
    expect(await warmUp(1000)).toBe(2 + 200); // never quiet: 1000 ms more, then timed anyway
    expect(await warmUp(1000, 1.9)).toBe(2 + 4); // under a tenth of a core is idle
  });

  it("reads this process's other threads here (Linux), and sees one that works", async () => {
    const before = otherThreadsCpuNs();
    if (before === undefined) return expect(process.platform).not.toBe('linux');
    const { Worker } = await import('node:worker_threads');
    // it stays alive after its work: an exited thread leaves the listing, and its time with it
    const worker = new Worker("const t = Date.now(); while (Date.now() - t < 200); require('node:worker_threads').parentPort.postMessage(0); setInterval(() => {}, 1000);", { eval: true });
    await new Promise((done) => worker.once('message', done));
    const after = otherThreadsCpuNs()!;
    await worker.terminate();
    expect(after - before).toBeGreaterThan(100e6);
  });
});

describe('time budget', () => {
  it('times fewer runs (never below 3) when the warm-up run shows minRuns would overrun the budget', async () => {
    let clock = 0;
    const slow = (ms: number) => ({ run: () => { clock += ms; }, dispose() {} });
    const opts = { warmup: 1, minRuns: 10, maxRuns: 40, minTimeMs: 1500, budgetMs: 40_000 };
    expect(await measure(slow(8000), opts, () => clock)).toHaveLength(5);
    expect(await measure(slow(13_000), opts, () => clock)).toHaveLength(3);
    expect(await measure(slow(30_000), opts, () => clock)).toEqual([30_000]); // not repeated
    expect(await measure(slow(3000), opts, () => clock)).toHaveLength(10);
    expect(await measure(slow(10), opts, () => clock)).toHaveLength(40); // fast: up to maxRuns within minTimeMs
  });
});

describe('rounds', () => {
  const spec: ConvSpec = { type: 'conv', dims: 2, x: [1, 2, 6, 6], w: [3, 2, 3, 3], stride: 1, pad: 1, groups: 1, pass: 'forward' };
  const tiny: Workload = { id: 'tiny conv', op: 'conv2d', description: '', kind: 'compute', quick: true, spec, flops: convFlops(spec) };
  // runners that time themselves (PreparedRun.measure): each call is logged with the options it got
  const fake = (name: string, runMs: number, log: string[]): BenchRunner => ({
    name, threads: 1,
    init: async () => undefined,
    prepare: async () => ({
      run() {},
      dispose: () => void log.push(`${name} dispose`),
      measure: async (o: MeasureOptions) => {
        log.push(`${name} warmup ${o.warmup} runs ${o.minRuns}-${o.maxRuns} ${o.minTimeMs} ms`);
        return Array.from({ length: o.minRuns }, () => runMs);
      },
    }),
  });

  it('measures every runner once per round, each for its share, and pools its runs', async () => {
    const log: string[] = [];
    const results = await runBench({
      mode: 'full', custom: { workloads: [tiny], only: true }, runners: [fake('a', 1, log), fake('b', 2, log)],
      measure: { warmup: 2, minRuns: 10, maxRuns: 200, minTimeMs: 1500, rounds: 3 },
      onMeasure: ({ workload, runner, round, rounds }, done, total) => log.push(`${workload} ${runner.name} ${round}/${rounds} ${done}/${total}`),
    });
    // prepared afresh each round (runners may share global state, as TensorFlow.js's backends do)
    expect(log).toEqual(['a', 'b', 'a', 'b', 'a', 'b'].flatMap((n, i) => [`tiny conv ${n} ${(i >> 1) + 1}/3 0/2`, `${n} warmup 2 runs 4-67 500 ms`, `${n} dispose`]));
    expect(results.map((r) => [r.runner, r.runs, r.medianMs])).toEqual([['a', 12, 1], ['b', 12, 2]]);
  });

  it('measures a runner whose runs are slow in one round: the rest of its runs right after the first share', async () => {
    const log: string[] = [];
    const results = await runBench({
      mode: 'full', custom: { workloads: [tiny], only: true }, runners: [fake('fast', 1, log), fake('slow', SLOW_RUN_MS + 1, log)],
      measure: { warmup: 2, minRuns: 10, maxRuns: 200, minTimeMs: 1500, rounds: 3 },
    });
    expect(log.filter((l) => l.startsWith('slow'))).toEqual([
      'slow warmup 2 runs 4-67 500 ms',
      `slow warmup 0 runs 6-196 ${1500 - 4 * (SLOW_RUN_MS + 1)} ms`,
      'slow dispose',
    ]);
    expect(log.filter((l) => l.startsWith('fast'))).toHaveLength(3 * 2);
    expect(results.map((r) => r.runs)).toEqual([12, 10]);
  });
});

describe('peak probe of a backend', () => {
  const spec: ConvSpec = { type: 'conv', dims: 2, x: [1, 2, 6, 6], w: [3, 2, 3, 3], stride: 1, pad: 1, groups: 1, pass: 'forward' };
  const tinyConv: Workload = { id: 'tiny conv', op: 'conv2d', description: '', kind: 'compute', quick: true, spec, flops: convFlops(spec) };
  const tinyPool: Workload = { id: 'tiny pool', op: 'maxPool2d', description: '', kind: 'memory', quick: true, spec: { type: 'maxPool2d', x: [1, 2, 4, 4], kernel: 2, stride: 2, pad: 0 }, bytes: 4 * 40 };
  const once = { warmup: 0, minRuns: 1, maxRuns: 1, minTimeMs: 0 };
  /** The cpu backend with a `peakGflops` member, as the native and wasm backends have one. */
  const withPeak = async (peakGflops: unknown) => {
    const { createCpuBackend } = await import('@hypercolumn/backend-cpu');
    return () => Object.assign(createCpuBackend(), { threads: 1, peakGflops });
  };

  it('shows % of the measured peak on conv rows of a backend that has the probe', async () => {
    let calls = 0;
    const create = await withPeak(async () => (calls++, 0.25));
    const [conv, pool] = await runBench({ mode: 'quick', custom: { workloads: [tinyConv, tinyPool], only: true }, runners: [hypercolumnRunner('peaky', { create, threads: 1 })], measure: once });
    expect(calls).toBe(1); // measured once per runner, at init
    expect(conv!.skipped).toBeUndefined();
    expect(conv!.peakGflops).toBe(0.25);
    expect(conv!.peakFraction).toBeCloseTo(conv!.gflops! / 0.25, 12);
    expect(pool!.peakFraction).toBeUndefined(); // memory-bound rows: no FLOP ceiling
    const { renderTerminal, renderHtml } = await import('../src/report.js');
    const report = { date: '', machine: { cpu: 'x', cores: 1, node: 'v20', platform: 'linux' }, conformance: { backends: [], cases: [], matrix: {}, references: [], ok: true }, bench: [conv!, pool!] } as never;
    const pct = `${(100 * conv!.peakFraction!).toFixed(0)} % of 0.250`;
    expect(renderTerminal(report)).toContain(pct);
    expect(renderHtml(report)).toContain(`<td class="num">${pct}</td>`);
  });

  it('leaves the column empty when the probe is absent, throws or returns nonsense', async () => {
    for (const probe of [undefined, 'not a function', async () => { throw new Error('no probe today'); }, async () => NaN, async () => -3]) {
      const results = await runBench({ mode: 'quick', custom: { workloads: [tinyConv], only: true }, runners: [hypercolumnRunner('peakless', { create: await withPeak(probe), threads: 1 })], measure: once });
      expect(results[0]!.skipped).toBeUndefined();
      expect(results[0]!.peakGflops).toBeUndefined();
      expect(results[0]!.peakFraction).toBeUndefined();
    }
  });
});

describe('the LeNet-5 training step workload', () => {
  const lenet = WORKLOADS.find((w) => w.id === 'LeNet-5 training step')!;

  it('is in the quick list, 64 images per run, with integer labels 0…9', async () => {
    expect(lenet).toMatchObject({ op: 'lenetTrainingStep', kind: 'train', quick: true, images: 64, spec: { type: 'train', model: 'lenet', batch: 64 } });
    const { makeInputs } = await import('../src/bench/runner.js');
    const inputs = makeInputs(lenet);
    expect(inputs.x!.shape).toEqual([64, 1, 28, 28]);
    expect([...inputs.labels!.data].every((v) => Number.isInteger(v) && v >= 0 && v <= 9)).toBe(true);
    expect(new Set(inputs.labels!.data).size).toBeGreaterThan(5);
  });

  it('trains on hypercolumn cpu: a loss near ln 10 that falls over steps, images/s from the median; ONNX Runtime skips', async () => {
    const { makeInputs } = await import('../src/bench/runner.js');
    const inputs = makeInputs(lenet);
    const runner = hypercolumnRunner('cpu');
    expect(await runner.init()).toBeUndefined();
    const prepared = await runner.prepare(lenet, inputs);
    if (typeof prepared === 'string') throw new Error(prepared);
    expect(prepared.firstMs).toBeGreaterThan(0);
    const losses: number[] = [];
    for (let k = 0; k < 8; k++) losses.push(((await prepared.run()) as Float32Array)[0]!);
    await prepared.dispose();
    // the first step ran in prepare; the next losses keep falling on one fixed batch
    expect(Math.abs(losses[0]! - Math.log(10))).toBeLessThan(0.3);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    const results = await runBench({
      mode: 'quick', custom: { workloads: [lenet], only: true }, runners: [hypercolumnRunner('cpu'), onnxruntimeNodeRunner(1)],
      measure: { warmup: 0, minRuns: 1, maxRuns: 1, minTimeMs: 0 },
    });
    expect(results[0]!.imagesPerSecond).toBeCloseTo(64_000 / results[0]!.medianMs, 9);
    expect(results[0]!.gflops).toBeUndefined();
    expect(results[1]!.skipped).toMatch(/does not train/);
  }, 60_000);
});
