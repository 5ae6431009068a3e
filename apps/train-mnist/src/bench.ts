#!/usr/bin/env node
/**
 * Training throughput of LeNet-5 (batch 64, SGD momentum 0.9) with hypercolumn against
 * TensorFlow.js (tfjs-core + tfjs-backend-cpu) in the same process, on the same batches.
 * Usage: node dist/bench.js [--backend cpu|wasm|webgpu|native|auto] [--batches n] [--tfjs-batches n] [--json] [--verbose]
 */
import { cpus } from 'node:os';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import * as hc from '@hypercolumn/core';
import { chooseBackend } from './backends.js';
import { Batcher, pixelStats, splitDigits, standardise } from './data.js';
import { buildModel } from './models.js';
import { BACKENDS, UsageError, type BackendChoice } from './options.js';
import { createTfjsLenet } from './tfjs-lenet.js';
import { readTensor } from './train.js';

export const BENCH_USAGE = `Usage: bench [options]

Trains LeNet-5 (batch 64, SGD lr 0.05 momentum 0.9, no augmentation) on the same MNIST batches with
hypercolumn and with TensorFlow.js cpu (tfjs-core + tfjs-backend-cpu) and prints training images/s.

Options:
  --backend <name>     hypercolumn backend: ${BACKENDS.join(' | ')} (default auto)
  --batches <n>        timed hypercolumn steps, 1–1000 (default 30), after 3 warm-up steps
  --tfjs-batches <n>   timed tfjs steps, 1–100 (default 2: tfjs-cpu needs seconds per step), after 1 warm-up
  --batch-size <n>     images per step, 1–1000 (default 64)
  --json               one JSON object on stdout
  --verbose            per-step times; stack traces on errors
  -h, --help           this help`;

export interface BenchOptions {
  backend: BackendChoice;
  batches: number;
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

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let v;
  try {
    ({ values: v } = parseArgs({
      args: argv.filter((a) => a !== '--'),
      strict: true,
      options: {
        backend: { type: 'string' },
        batches: { type: 'string' },
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
  const backend = v.backend ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new UsageError(`unknown --backend ${JSON.stringify(backend)}: expected one of ${BACKENDS.join(', ')}`);
  return {
    backend: backend as BackendChoice,
    batches: int('batches', v.batches, 30, 1, 1000),
    tfjsBatches: int('tfjs-batches', v['tfjs-batches'], 2, 1, 100),
    batchSize: int('batch-size', v['batch-size'], 64, 1, 1000),
    json: v.json ?? false,
    verbose: v.verbose ?? false,
    help: v.help ?? false,
  };
}

export interface BenchResult {
  backend: string;
  batchSize: number;
  threads: number;
  cpu: string;
  hypercolumn: { imagesPerSecond: number; msPerStep: number; steps: number };
  tfjs: { imagesPerSecond: number; msPerStep: number; steps: number };
  ratio: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function runBench(o: BenchOptions, log: (s: string) => void = () => {}): Promise<BenchResult> {
  const backend = await chooseBackend(o.backend);
  const split = splitDigits();
  const train = standardise(split.train, pixelStats(split.train));
  const batcher = new Batcher(o.batchSize);
  const order = Int32Array.from({ length: train.count }, (_, i) => i);
  const batchAt = (k: number) => batcher.fill(train, order, (k * o.batchSize) % (train.count - o.batchSize), o.batchSize, 0);

  // ---- hypercolumn
  hc.manualSeed(1);
  const model = buildModel('lenet');
  model.train();
  const optimizer = new hc.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const hcStep = async (k: number) => {
    const { x, y } = batchAt(k);
    const loss = hc.scope(() => {
      const l = hc.crossEntropy(model.forward(hc.tensor(x, [o.batchSize, 1, 28, 28])), y);
      l.backward();
      optimizer.step();
      optimizer.zeroGrad();
      return l;
    });
    const value = (await readTensor(loss))[0]!;
    loss.dispose();
    return value;
  };
  const hcTimes: number[] = [];
  for (let k = 0; k < 3 + o.batches; k++) {
    const t = performance.now();
    const loss = await hcStep(k);
    if (k >= 3) hcTimes.push(performance.now() - t);
    if (o.verbose) log(`hypercolumn step ${k}${k < 3 ? ' (warm-up)' : ''}: ${(performance.now() - t).toFixed(1)} ms, loss ${loss.toFixed(4)}`);
  }
  optimizer.dispose();
  model.dispose();

  // ---- TensorFlow.js cpu
  const tf = await createTfjsLenet({ lr: 0.05, momentum: 0.9 });
  const tfTimes: number[] = [];
  for (let k = 0; k < 1 + o.tfjsBatches; k++) {
    const { x, y } = batchAt(k);
    const t = performance.now();
    const loss = tf.step(x, y);
    if (k >= 1) tfTimes.push(performance.now() - t);
    if (o.verbose) log(`tfjs-cpu step ${k}${k < 1 ? ' (warm-up)' : ''}: ${(performance.now() - t).toFixed(1)} ms, loss ${loss.toFixed(4)}`);
  }
  tf.dispose();

  const hcMs = median(hcTimes);
  const tfMs = median(tfTimes);
  return {
    backend,
    batchSize: o.batchSize,
    threads: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    hypercolumn: { imagesPerSecond: (1000 * o.batchSize) / hcMs, msPerStep: hcMs, steps: hcTimes.length },
    tfjs: { imagesPerSecond: (1000 * o.batchSize) / tfMs, msPerStep: tfMs, steps: tfTimes.length },
    ratio: tfMs / hcMs,
  };
}

export function benchText(r: BenchResult): string {
  const row = (name: string, s: BenchResult['tfjs']) =>
    `${name.padEnd(22)} ${s.imagesPerSecond.toFixed(1).padStart(10)} ${s.msPerStep.toFixed(1).padStart(12)} ${String(s.steps).padStart(6)}`;
  return [
    `LeNet-5 training, batch ${r.batchSize}, SGD momentum 0.9 — ${r.cpu}, ${r.threads} cores`,
    '',
    `${'implementation'.padEnd(22)} ${'images/s'.padStart(10)} ${'ms/step (med)'.padStart(12)} ${'steps'.padStart(6)}`,
    row(`hypercolumn ${r.backend}`, r.hypercolumn),
    row('tfjs-cpu 4.22', r.tfjs),
    '',
    `ratio hypercolumn ${r.backend} / tfjs-cpu: ${r.ratio.toFixed(1)}×`,
  ].join('\n');
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
