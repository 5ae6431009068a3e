import { fail } from '../errors.js';
import { dropout, sigmoid, tanh } from '../ops/pytorch.js';
import { RandomGenerator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../validate.js';
import { Module } from './module.js';

/** Elementwise 1 / (1 + e^−x) (PyTorch nn.Sigmoid). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Elementwise tanh (PyTorch nn.Tanh). */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export interface DropoutLayerOptions {
  /** A seed for this layer's own generator: its masks are then reproducible (default: the global generator). */
  seed?: number;
}

/**
 * Inverted dropout (PyTorch nn.Dropout): in training each element is zeroed with probability p and
 * the rest scaled by 1/(1 − p); in eval (`.eval()`) the identity. Masks come from the layer's own
 * seeded generator when `seed` is given, else from the global one (`manualSeed`).
 */
export class Dropout extends Module {
  readonly p: number;
  private readonly generator: RandomGenerator | undefined;
  constructor(p = 0.5, options: DropoutLayerOptions = {}) {
    super();
    const op = 'Dropout';
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) fail(op, 'p', 'a probability in [0, 1)', p);
    const opts = checkOptions<DropoutLayerOptions>(op, options, ['seed']);
    if (opts.seed !== undefined && (typeof opts.seed !== 'number' || !Number.isSafeInteger(opts.seed))) fail(op, 'seed', 'a safe integer', opts.seed);
    this.p = p;
    this.generator = opts.seed === undefined ? undefined : new RandomGenerator(opts.seed);
  }
  forward(x: Tensor): Tensor {
    // a per-call seed drawn from the layer's generator keeps successive masks different but reproducible
    const seed = this.generator ? this.generator.nextUint32() : undefined;
    return dropout(x, { p: this.p, training: this.training, ...(seed === undefined ? {} : { seed }) });
  }
}
