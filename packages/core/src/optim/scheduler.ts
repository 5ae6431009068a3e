import { fail } from '../errors.js';
import { checkFinite, checkOptions, checkPositiveInt } from '../validate.js';

/** Anything with a settable learning rate (SGD, Adam, AdamW). */
export interface HasLearningRate {
  lr: number;
}

function checkOptimizer(op: string, optimizer: unknown): HasLearningRate {
  if (!optimizer || typeof optimizer !== 'object' || typeof (optimizer as HasLearningRate).lr !== 'number') fail(op, 'optimizer', 'an optimizer with an lr', optimizer);
  return optimizer as HasLearningRate;
}

/** Common part: the base lr, the epoch counter, and `step()` setting lr from the closed form. */
abstract class Scheduler {
  readonly baseLr: number;
  /** Completed epochs (calls to step()). */
  lastEpoch = 0;
  constructor(readonly optimizer: HasLearningRate) {
    this.baseLr = optimizer.lr;
  }
  protected abstract lrAt(epoch: number): number;
  /** Advances one epoch and sets the optimizer's lr (call after optimizer.step(), as in PyTorch). */
  step(): number {
    this.lastEpoch++;
    this.optimizer.lr = this.lrAt(this.lastEpoch);
    return this.optimizer.lr;
  }
  /** The lr in effect now. */
  get lr(): number {
    return this.optimizer.lr;
  }
  stateDict(): { lastEpoch: number; baseLr: number } {
    return { lastEpoch: this.lastEpoch, baseLr: this.baseLr };
  }
  loadStateDict(dict: { lastEpoch: number }): void {
    if (!dict || typeof dict !== 'object' || !Number.isSafeInteger(dict.lastEpoch) || dict.lastEpoch < 0) {
      fail(`${this.constructor.name}.loadStateDict`, 'dict.lastEpoch', 'a non-negative integer', dict?.lastEpoch);
    }
    this.lastEpoch = dict.lastEpoch;
    this.optimizer.lr = this.lrAt(this.lastEpoch);
  }
}

/** lr = baseLr · gamma^⌊epoch / stepSize⌋ (torch.optim.lr_scheduler.StepLR). */
export class StepLR extends Scheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: HasLearningRate, options: { stepSize: number; gamma?: number }) {
    const op = 'StepLR';
    super(checkOptimizer(op, optimizer));
    const opts = checkOptions<{ stepSize: number; gamma?: number }>(op, options, ['stepSize', 'gamma']);
    this.stepSize = checkPositiveInt(op, 'stepSize', opts.stepSize);
    this.gamma = checkFinite(op, 'gamma', opts.gamma ?? 0.1, 0);
  }
  protected lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = etaMin + (baseLr − etaMin)·(1 + cos(π·epoch/tMax))/2 (torch.optim.lr_scheduler.CosineAnnealingLR, closed form). */
export class CosineAnnealingLR extends Scheduler {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: HasLearningRate, options: { tMax: number; etaMin?: number }) {
    const op = 'CosineAnnealingLR';
    super(checkOptimizer(op, optimizer));
    const opts = checkOptions<{ tMax: number; etaMin?: number }>(op, options, ['tMax', 'etaMin']);
    this.tMax = checkPositiveInt(op, 'tMax', opts.tMax);
    this.etaMin = checkFinite(op, 'etaMin', opts.etaMin ?? 0, 0);
  }
  protected lrAt(epoch: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}
