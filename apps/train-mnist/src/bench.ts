#!/usr/bin/env node
/**
 * Training throughput of LeNet-5 (batch 64, SGD lr 0.05 momentum 0.9) with hypercolumn on one or more
 * backends (wasm and native at each thread count) against PyTorch CPU (a Python child, 1 thread and all
 * cores) and TensorFlow.js cpu (in this process), all on the same MNIST batches.
 * Usage: node dist/bench.js [--backend cpu,wasm,native,webgpu|auto] [--threads 1,2] [--batches n]
 *        [--pytorch-batches n] [--tfjs-batches n] [--batch-size n] [--json] [--verbose]
 */
import { cpus } from 'node:os';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as hc from '@hypercolumn/core';
import { chooseBackend, useThreadVariant } from './backends.js';
import { Batcher, pixelStats, splitDigits, standardise } from './data.js';
import { buildModel } from './models.js';
import { BACKENDS, UsageError, type BackendChoice } from './options.js';
import { PytorchLenet } from './pytorch-lenet.js';
import { createTfjsLenet } from './tfjs-lenet.js';
import { readTensor } from './train.js';

const CORES = cpus().length;
/** Backends whose packages take a thread count (`create…Backend({threads})`). */
const THREADED = new Set(['wasm', 'native']);
const WARMUP = 3;
const LR = 0.05;
const MOMENTUM = 0.9;

export const BENCH_USAGE = `Usage: bench [options]

Trains LeNet-5 (batch 64, SGD lr ${LR} momentum ${MOMENTUM}, no augmentation) on the same MNIST batches with
hypercolumn, PyTorch CPU (where a Python with torch is found) and TensorFlow.js cpu, and prints training
images/s with the ratios hypercolumn / peer.

Options:
  --backend <list>     hypercolumn backends, comma-separated: ${BACKENDS.join(' | ')} (default auto)
  --threads <list>     thread counts for wasm and native, and PyTorch (default 1,${CORES}); cpu runs 1, webgpu as it is
  --batches <n>        timed hypercolumn steps per backend, 1–1000 (default 30), after ${WARMUP} warm-up steps
  --pytorch-batches <n> timed PyTorch steps per thread count, 0–1000 (default 30; 0: no PyTorch), after ${WARMUP} warm-up
  --rounds <n>         timed steps are taken in n rounds alternating hypercolumn and PyTorch, 1–100 (default 5)
  --tfjs-batches <n>   timed tfjs-cpu steps, 0–100 (default 2: it needs seconds per step; 0: none), after 1 warm-up
  --batch-size <n>     images per step, 1–1000 (default 64)
  --json               one JSON object on stdout
  --verbose            per-step times; stack traces on errors
  -h, --help           this help

PyTorch runs in \$HC_PYTHON, else /usr/bin/python3, else python3 (the first that imports torch).`;

export interface BenchOptions {
  backends: BackendChoice[];
  threads: number[];
  batches: number;
  pytorchBatches: number;
  rounds: number;
  tfjsBatches: number;
  batchSize: number;
  json: boolean;
  verbose: boolean;
  help: boolean;
}

function int(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${flag} expects an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return v;
}

function list(flag: string, raw: string): string[] {
  const items = raw.split(',').map((s) => s.trim());
  if (!items.length || items.some((s) => !s)) throw new UsageError(`--${flag} expects a comma-separated list, got ${JSON.stringify(raw)}`);
  return [...new Set(items)];
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let v;
  try {
    ({ values: v } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      strict: true,
      options: {
        backend: { type: 'string' },
        threads: { type: 'string' },
        batches: { type: 'string' },
        'pytorch-batches': { type: 'string' },
        rounds: { type: 'string' },
        'tfjs-batches': { type: 'string' },
        'batch-size': { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]!);
  }
  const backends = list('backend', v.backend ?? 'auto');
  for (const b of backends) {
    if (!(BACKENDS as readonly string[]).includes(b)) throw new UsageError(`unknown --backend ${JSON.stringify(b)}: expected one of ${BACKENDS.join(', ')}`);
  }
  const threads = v.threads === undefined ? [...new Set([1, CORES])] : list('threads', v.threads).map((t) => int('threads', t, 1, 1, 256));
  return {
    backends: backends as BackendChoice[],
    threads: threads.sort((a, b) => a - b),
    batches: int('batches', v.batches, 30, 1, 1000),
    pytorchBatches: int('pytorch-batches', v['pytorch-batches'], 30, 0, 1000),
    rounds: int('rounds', v.rounds, 5, 1, 100),
    tfjsBatches: int('tfjs-batches', v['tfjs-batches'], 2, 0, 100),
    batchSize: int('batch-size', v['batch-size'], 64, 1, 1000),
    json: v.json ?? false,
    verbose: v.verbose ?? false,
    help: v.help ?? false,
  };
}

/** One implementation at one thread count. */
export interface BenchRow {
  /** "hypercolumn wasm", "pytorch 1.13.0", "tfjs-cpu 4.22". */
  name: string;
  /** The hypercolumn backend the steps ran on ("wasm@1t"), for hypercolumn rows. */
  backend?: string;
  /** Threads it ran on (webgpu: the GPU; counted as all cores, as the conformance benchmark does). */
  threads: number;
  imagesPerSecond: number;
  msPerStep: number;
  steps: number;
  /** hypercolumn rows: PyTorch's ms/step at the same thread count / this row's (> 1: hypercolumn is faster). */
  vsPytorch?: number;
  /** hypercolumn rows: tfjs-cpu's ms/step / this row's. */
  vsTfjs?: number;
}

export interface BenchResult {
  batchSize: number;
  cores: number;
  cpu: string;
  rows: BenchRow[];
  /** PyTorch's build (torch version, whether oneDNN/mkldnn is available), or why it did not run. */
  pytorch: { python: string; torch: string; mkldnn: boolean } | { skipped: string };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function row(name: string, threads: number, batchSize: number, times: number[], backend?: string): BenchRow {
  const ms = median(times);
  return { name, ...(backend ? { backend } : {}), threads, imagesPerSecond: (1000 * batchSize) / ms, msPerStep: ms, steps: times.length };
}

type Batch = { x: Float32Array; y: Int32Array };

/** LeNet-5 and its optimiser on one hypercolumn backend, stepping through the batches. */
class HypercolumnTrainer {
  private k = 0;
  readonly times: number[] = [];
  private readonly model: hc.nn.Sequential;
  private readonly optimizer: hc.optim.SGD;

  /** Builds the model on the current backend (`backend`, which `steps` selects again each time). */
  constructor(
    readonly backend: string,
    private readonly o: BenchOptions,
    private readonly batchAt: (k: number) => Batch,
    private readonly log: (s: string) => void,
  ) {
    hc.manualSeed(1);
    this.model = buildModel('lenet');
    this.model.train();
    this.optimizer = new hc.optim.SGD(this.model.parameters(), { lr: LR, momentum: MOMENTUM });
  }

  /** `n` steps on this trainer's backend; their times are kept unless `warmup`. */
  async steps(n: number, warmup = false): Promise<void> {
    await hc.setBackend(this.backend);
    for (let i = 0; i < n; i++) {
      const { x, y } = this.batchAt(this.k++);
      const t = performance.now();
      const loss = hc.scope(() => {
        const l = hc.crossEntropy(this.model.forward(hc.tensor(x, [this.o.batchSize, 1, 28, 28])), y);
        l.backward();
        this.optimizer.step();
        this.optimizer.zeroGrad();
        return l;
      });
      const value = (await readTensor(loss))[0]!;
      loss.dispose();
      const dt = performance.now() - t;
      if (!warmup) this.times.push(dt);
      if (this.o.verbose) this.log(`hypercolumn ${this.backend} step ${this.k - 1}${warmup ? ' (warm-up)' : ''}: ${dt.toFixed(1)} ms, loss ${value.toFixed(4)}`);
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/** Steps of round `r` of `rounds` when `total` steps are spread over them as evenly as can be. */
export function roundSteps(total: number, rounds: number, r: number): number {
  return Math.floor(((r + 1) * total) / rounds) - Math.floor((r * total) / rounds);
}

/** The hypercolumn backends to run: each named one (auto: the best available), wasm and native once per thread count. */
async function hypercolumnVariants(o: BenchOptions): Promise<{ base: string; threads?: number }[]> {
  const out: { base: string; threads?: number }[] = [];
  for (const choice of o.backends) {
    const base = await chooseBackend(choice);
    if (out.some((v) => v.base === base)) continue;
    if (THREADED.has(base)) for (const t of o.threads) out.push({ base, threads: t });
    else out.push({ base });
  }
  return out;
}

export async function runBench(o: BenchOptions, log: (s: string) => void = () => {}): Promise<BenchResult> {
  const split = splitDigits();
  const train = standardise(split.train, pixelStats(split.train));
  const batcher = new Batcher(o.batchSize);
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  const batchAt = (k: number): Batch => batcher.fill(train, order, (k * o.batchSize) % (train.count - o.batchSize), o.batchSize, 0);
  const rows: BenchRow[] = [];

  // ---- hypercolumn on each backend (and thread count), each model built and warmed up first
  const trainers: HypercolumnTrainer[] = [];
  const threadsOf = new Map<HypercolumnTrainer, number>();
  for (const v of await hypercolumnVariants(o)) {
    const name = v.threads === undefined ? (await hc.setBackend(v.base), v.base) : await useThreadVariant(v.base, v.threads);
    // named as the engine says it is, not as intended
    const trainer = new HypercolumnTrainer(hc.getBackend(), o, batchAt, log);
    trainers.push(trainer);
    threadsOf.set(trainer, v.base === 'cpu' ? 1 : v.threads ?? CORES);
    await trainer.steps(WARMUP, true);
    if (name !== trainer.backend) throw new Error(`asked for backend ${name}, the engine runs ${trainer.backend}`);
  }

  // ---- PyTorch CPU: one child, a model per thread count, warmed up
  let pytorch: BenchResult['pytorch'] = { skipped: '--pytorch-batches 0' };
  let torch: PytorchLenet | undefined;
  if (o.pytorchBatches > 0) {
    const count = Math.min(WARMUP + o.pytorchBatches, 64); // PyTorch's step k trains on batch k mod count
    // Batcher.fill reuses its buffers: copies, since all of them go to Python at once
    const batches = Array.from({ length: count }, (_, k) => {
      const b = batchAt(k);
      return { x: b.x.slice(), y: Int32Array.from(b.y) };
    });
    const started = await PytorchLenet.start({ batches, batchSize: o.batchSize, warmup: WARMUP, threads: o.threads, lr: LR, momentum: MOMENTUM });
    if (typeof started === 'string') {
      pytorch = { skipped: started };
      log(`PyTorch skipped: ${started}`);
    } else {
      torch = started;
      pytorch = { python: torch.python, torch: torch.torch, mkldnn: torch.mkldnn };
    }
  }

  // ---- timed rounds, alternating: every hypercolumn backend, then PyTorch at each thread count (a load
  // change on a shared machine then hits every contender alike)
  const torchTimes = new Map<number, number[]>(o.threads.map((t) => [t, []]));
  try {
    for (let r = 0; r < o.rounds; r++) {
      for (const t of trainers) await t.steps(roundSteps(o.batches, o.rounds, r));
      for (const t of torch ? o.threads : []) {
        const n = roundSteps(o.pytorchBatches, o.rounds, r);
        if (!n) continue;
        const got = await torch!.steps(t, n);
        torchTimes.get(t)!.push(...got.times);
        if (o.verbose) log(`pytorch ×${t} round ${r}: ${got.times.map((x) => x.toFixed(1)).join(' ')} ms; loss ${got.losses.at(-1)?.toFixed(4)}`);
      }
    }
  } finally {
    torch?.close();
    for (const t of trainers) t.dispose();
  }
  for (const t of trainers) rows.push(row(`hypercolumn ${t.backend.split('@')[0]}`, threadsOf.get(t)!, o.batchSize, t.times, t.backend));
  if (torch) for (const [t, times] of torchTimes) rows.push(row(`pytorch ${torch.torch}`, t, o.batchSize, times));

  // ---- TensorFlow.js cpu
  if (o.tfjsBatches > 0) {
    const tf = await createTfjsLenet({ lr: LR, momentum: MOMENTUM });
    const times: number[] = [];
    try {
      for (let k = 0; k < 1 + o.tfjsBatches; k++) {
        const { x, y } = batchAt(k);
        const t = performance.now();
        const loss = tf.step(x, y);
        if (k >= 1) times.push(performance.now() - t);
        if (o.verbose) log(`tfjs-cpu step ${k}${k < 1 ? ' (warm-up)' : ''}: ${(performance.now() - t).toFixed(1)} ms, loss ${loss.toFixed(4)}`);
      }
    } finally {
      tf.dispose();
    }
    rows.push(row('tfjs-cpu 4.22', 1, o.batchSize, times));
  }

  const tfjs = rows.find((r) => r.name.startsWith('tfjs-cpu'));
  for (const r of rows) {
    if (!r.backend) continue;
    const torch = rows.find((p) => p.name.startsWith('pytorch') && p.threads === r.threads);
    if (torch) r.vsPytorch = torch.msPerStep / r.msPerStep;
    if (tfjs) r.vsTfjs = tfjs.msPerStep / r.msPerStep;
  }
  return { batchSize: o.batchSize, cores: CORES, cpu: cpus()[0]?.model ?? 'unknown', rows, pytorch };
}

export function benchText(r: BenchResult): string {
  const ratio = (x?: number) => (x === undefined ? '' : `${x.toFixed(2)}×`);
  const lines = [
    `LeNet-5 training, batch ${r.batchSize}, SGD lr ${LR} momentum ${MOMENTUM} — ${r.cpu}, ${r.cores} cores`,
    'skipped' in r.pytorch
      ? `PyTorch: skipped (${r.pytorch.skipped})`
      : `PyTorch ${r.pytorch.torch} (${r.pytorch.python}), oneDNN (mkldnn) ${r.pytorch.mkldnn ? 'available: its CPU convolutions use it' : 'not available'}`,
    '',
    `${'implementation'.padEnd(24)} ${'threads'.padStart(7)} ${'images/s'.padStart(10)} ${'ms/step (med)'.padStart(13)} ${'steps'.padStart(6)} ${'vs PyTorch'.padStart(10)} ${'vs tfjs-cpu'.padStart(11)}`,
  ];
  for (const x of r.rows) {
    lines.push(
      `${(x.backend ? `hypercolumn ${x.backend}` : x.name).padEnd(24)} ${String(x.threads).padStart(7)} ${x.imagesPerSecond.toFixed(1).padStart(10)} ${x.msPerStep.toFixed(2).padStart(13)} ${String(x.steps).padStart(6)} ${ratio(x.vsPytorch).padStart(10)} ${ratio(x.vsTfjs).padStart(11)}`,
    );
  }
  lines.push('', 'Ratios: peer ms/step / hypercolumn ms/step (> 1: hypercolumn is faster); vs PyTorch at the same thread count.');
  return lines.join('\n');
}

export async function benchMain(argv: readonly string[]): Promise<number> {
  let o: BenchOptions | undefined;
  try {
    o = parseBenchOptions(argv);
    if (o.help) {
      console.log(BENCH_USAGE);
      return 0;
    }
    const result = await runBench(o, (s) => console.error(s));
    console.log(o.json ? JSON.stringify(result) : benchText(result));
    return 0;
  } catch (err) {
    const verbose = o?.verbose ?? argv.includes('--verbose');
    const usage = err instanceof UsageError;
    console.error(`bench: ${usage ? '' : 'internal error: '}${(err as Error).message}`);
    if (verbose && (err as Error).stack) console.error((err as Error).stack);
    return usage ? 2 : 1;
  }
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(resolve(process.argv[1]))).href;
  } catch {
    return false;
  }
}
if (isEntryPoint()) {
  benchMain(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
