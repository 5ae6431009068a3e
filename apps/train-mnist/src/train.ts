import * as hc from '@hypercolumn/core';
import { Batcher, limitDigits, NUM_CLASSES, pixelStats, splitDigits, standardise, type Digits, type Standardisation } from './data.js';
import { agcParameters } from './models.js';
import type { Options } from './options.js';
import { Rng } from './rng.js';

/** The options that shape a training run (the CLI's, documented there). */
export type TrainSettings = Pick<Options, 'epochs' | 'batchSize' | 'lr' | 'momentum' | 'weightDecay' | 'agc' | 'seed' | 'shift'>;

export interface Data {
  train: Digits;
  test: Digits;
  stats: Standardisation;
  /** The standardised background value (raw 0), used to fill shifted-in pixels. */
  background: number;
}

/**
 * The split, optionally limited to `limit` training images (a subset chosen with the seed), and
 * standardised with the mean and std of the (full) training set, or with `stats` from a saved model.
 */
export function prepareData(options: { limit?: number; seed: number; stats?: Standardisation }): Data {
  const split = splitDigits();
  const stats = options.stats ?? pixelStats(split.train);
  const rawTrain = options.limit ? limitDigits(split.train, options.limit, new Rng(options.seed ^ 0x5eed)) : split.train;
  return {
    train: standardise(rawTrain, stats),
    test: standardise(split.test, stats),
    stats,
    background: (0 - stats.mean) / stats.std,
  };
}

/** Training produced a non-finite loss (exit code 1, reported without "internal error"). */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';
}

/**
 * Lets timers and signal handlers run between steps: on a synchronous backend every await above
 * settles as a microtask, so without this Ctrl-C would wait for the whole run.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Reads a tensor synchronously where the backend allows it, else asynchronously. */
export async function readTensor(t: hc.Tensor): Promise<Float32Array> {
  try {
    return t.dataSync();
  } catch {
    return t.data();
  }
}

function argmaxRows(values: Float32Array, rows: number, cols: number, out: (row: number, cls: number) => void): void {
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = values[r * cols]!;
    for (let c = 1; c < cols; c++) {
      const v = values[r * cols + c]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out(r, best);
  }
}

export interface EvalResult {
  accuracy: number;
  loss: number;
  correct: number;
  count: number;
  /** confusion[true][predicted] */
  confusion: number[][];
  seconds: number;
}

/** Accuracy, mean loss and confusion matrix of `model` (put in eval mode) on `set`. */
export async function evaluate(model: hc.nn.Module, set: Digits, batchSize = 500): Promise<EvalResult> {
  const start = performance.now();
  model.eval();
  const confusion = Array.from({ length: NUM_CLASSES }, () => new Array<number>(NUM_CLASSES).fill(0));
  const batcher = new Batcher(Math.min(batchSize, set.count));
  const order = Int32Array.from({ length: set.count }, (_, i) => i);
  let correct = 0;
  let lossSum = 0;
  for (let at = 0; at < set.count; at += batcher.batchSize) {
    const n = Math.min(batcher.batchSize, set.count - at);
    const { x, y } = batcher.fill(set, order, at, n, 0);
    const [logits, loss] = hc.noGrad(() =>
      hc.scope(() => {
        const out = model.forward(hc.tensor(x, [n, 1, 28, 28]));
        return [out, hc.crossEntropy(out, y)];
      }),
    ) as [hc.Tensor, hc.Tensor];
    const values = await readTensor(logits);
    lossSum += (await readTensor(loss))[0]! * n;
    logits.dispose();
    loss.dispose();
    argmaxRows(values, n, NUM_CLASSES, (r, cls) => {
      confusion[y[r]!]![cls]!++;
      if (cls === y[r]) correct++;
    });
    await yieldToEventLoop();
  }
  return { accuracy: correct / set.count, loss: lossSum / set.count, correct, count: set.count, confusion, seconds: (performance.now() - start) / 1000 };
}

export interface StepInfo {
  /** Images done in this epoch. */
  done: number;
  total: number;
  /** Running mean loss and accuracy of this epoch. */
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

export interface EpochResult {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  seconds: number;
  imagesPerSecond: number;
  lr: number;
}

/**
 * SGD with momentum and weight decay, learning rate on a per-step cosine schedule from `lr` down to
 * 0 over the whole run, optional AGC; the shuffling and the shifts come from one seeded Rng.
 */
export class Trainer {
  readonly optimizer: hc.optim.SGD;
  private readonly rng: Rng;
  private readonly batcher: Batcher;
  private readonly order: Int32Array;
  private readonly clipParams: hc.Tensor[];
  private readonly totalSteps: number;
  private step = 0;
  epoch = 0;

  constructor(
    readonly model: hc.nn.Sequential,
    readonly data: Data,
    readonly settings: TrainSettings,
  ) {
    this.optimizer = new hc.optim.SGD(model.parameters(), {
      lr: settings.lr,
      momentum: settings.momentum,
      weightDecay: settings.weightDecay,
    });
    this.rng = new Rng(settings.seed);
    this.batcher = new Batcher(settings.batchSize);
    this.order = Int32Array.from({ length: data.train.count }, (_, i) => i);
    this.clipParams = settings.agc ? agcParameters(model) : [];
    this.totalSteps = settings.epochs * Math.ceil(data.train.count / settings.batchSize);
  }

  /** Learning rate for step `t` (0-based) of the cosine schedule. */
  lrAt(t: number): number {
    return this.settings.lr * 0.5 * (1 + Math.cos((Math.PI * t) / this.totalSteps));
  }

  async trainEpoch(onStep?: (info: StepInfo) => void): Promise<EpochResult> {
    const { model, optimizer, batcher, data, settings } = this;
    model.train();
    this.rng.shuffle(this.order);
    const total = data.train.count;
    const start = performance.now();
    let lossSum = 0;
    let correct = 0;
    let done = 0;
    let lr = settings.lr;
    for (let at = 0; at < total; at += settings.batchSize) {
      const n = Math.min(settings.batchSize, total - at);
      const { x, y } = batcher.fill(data.train, this.order, at, n, data.background, this.rng, settings.shift);
      lr = this.lrAt(this.step++);
      optimizer.lr = lr;
      const [logits, loss] = hc.scope(() => {
        const out = model.forward(hc.tensor(x, [n, 1, 28, 28]));
        const l = hc.crossEntropy(out, y);
        l.backward();
        if (this.clipParams.length) hc.optim.adaptiveGradClip(this.clipParams, { clipping: settings.agc! });
        optimizer.step();
        optimizer.zeroGrad();
        return [out, l];
      }) as [hc.Tensor, hc.Tensor];
      const lossValue = (await readTensor(loss))[0]!;
      const values = await readTensor(logits);
      logits.dispose();
      loss.dispose();
      if (!Number.isFinite(lossValue)) throw new DivergedError(`training diverged: loss is ${lossValue} at epoch ${this.epoch + 1}, step ${Math.floor(at / settings.batchSize) + 1} (try a smaller --lr)`);
      lossSum += lossValue * n;
      argmaxRows(values, n, NUM_CLASSES, (r, cls) => {
        if (cls === y[r]) correct++;
      });
      done += n;
      onStep?.({ done, total, loss: lossSum / done, accuracy: correct / done, imagesPerSecond: done / ((performance.now() - start) / 1000) });
      await yieldToEventLoop();
    }
    const seconds = (performance.now() - start) / 1000;
    this.epoch++;
    return { epoch: this.epoch, loss: lossSum / total, trainAccuracy: correct / total, seconds, imagesPerSecond: total / seconds, lr };
  }
}
