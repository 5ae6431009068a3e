import { isGradEnabled, scope } from '../engine.js';
import type { FusedActivation } from '../kernels.js';
import { fail } from '../errors.js';
import { relu } from '../ops/activation.js';
import { ones, tensor, zeros } from '../ops/creation.js';
import { add, div, mul } from '../ops/elementwise.js';
import { linear } from '../ops/linear.js';
import { batchNorm, batchNormInference, batchRenorm, frn, frnTluInference, groupNorm, instanceNorm, layerNorm, tlu } from '../ops/norm.js';
import {
  avgPool1d, avgPool2d, AVG_POOL_KEYS, checkPoolOptions, globalAvgPool2d, maxPool1d, maxPool2d, MAX_POOL_KEYS, pool1dAs2d,
  type AvgPool1dOptions, type AvgPool2dOptions, type MaxPool2dOptions, type Pool1dOptions,
} from '../ops/pool.js';
import { checkPoolWindow } from '../shape.js';
import { flatten } from '../ops/reshape.js';
import type { Tensor } from '../tensor.js';
import { checkBoolean, checkFinite, checkInRange, checkOptions, checkPositiveInt, checkRank, checkTensor } from '../validate.js';
import { defaultInit } from './conv.js';
import { Module } from './module.js';

// ------------------------------------------------------------------ pools and activations

/** Pool layer options: a kernel size or an options object, checked when the layer is built. */
function poolLayerOptions<T extends object>(op: string, options: unknown, keys: readonly string[], check: (window: T) => void): Readonly<T> {
  const opts = (typeof options === 'number' ? { kernelSize: options } : { ...checkPoolOptions<T>(op, options, keys) }) as T;
  check(opts);
  return Object.freeze(opts);
}

/** Max pooling layer (options as the functional `maxPool2d`; stride defaults to kernelSize). */
export class MaxPool2d extends Module {
  readonly options: Readonly<MaxPool2dOptions>;
  constructor(options: MaxPool2dOptions | number) {
    super();
    this.options = poolLayerOptions<MaxPool2dOptions>('MaxPool2d', options, MAX_POOL_KEYS, (o) => checkPoolWindow('MaxPool2d', o));
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.options);
  }
}

/** Average pooling layer (options as the functional `avgPool2d`; countIncludePad default true). */
export class AvgPool2d extends Module {
  readonly options: Readonly<AvgPool2dOptions>;
  constructor(options: AvgPool2dOptions | number) {
    super();
    this.options = poolLayerOptions<AvgPool2dOptions>('AvgPool2d', options, AVG_POOL_KEYS, ({ countIncludePad, ...window }) => {
      checkPoolWindow('AvgPool2d', window);
      checkBoolean('AvgPool2d', 'countIncludePad', countIncludePad ?? true);
    });
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.options);
  }
}

/** Max pooling over [N, C, L] (options as the functional `maxPool1d`; PyTorch nn.MaxPool1d). */
export class MaxPool1d extends Module {
  readonly options: Readonly<Pool1dOptions>;
  constructor(options: Pool1dOptions | number) {
    super();
    this.options = poolLayerOptions<Pool1dOptions>('MaxPool1d', options, MAX_POOL_KEYS, (o) => pool1dAs2d('MaxPool1d', o));
  }
  forward(x: Tensor): Tensor {
    return maxPool1d(x, this.options);
  }
}

/** Average pooling over [N, C, L] (options as the functional `avgPool1d`; PyTorch nn.AvgPool1d). */
export class AvgPool1d extends Module {
  readonly options: Readonly<AvgPool1dOptions>;
  constructor(options: AvgPool1dOptions | number) {
    super();
    this.options = poolLayerOptions<AvgPool1dOptions>('AvgPool1d', options, AVG_POOL_KEYS, ({ countIncludePad, ...window }) => {
      pool1dAs2d('AvgPool1d', window);
      checkBoolean('AvgPool1d', 'countIncludePad', countIncludePad ?? true);
    });
  }
  forward(x: Tensor): Tensor {
    return avgPool1d(x, this.options);
  }
}

/** Mean over H, W: [N, C, H, W] → [N, C, 1, 1]. */
export class GlobalAvgPool2d extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** Flattens axes startDim..endDim (defaults 1, −1: [N, …] → [N, features]). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    for (const [arg, v] of [['startDim', startDim], ['endDim', endDim]] as const) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail('Flatten', arg, 'an integer axis', v);
    }
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

// ------------------------------------------------------------------ linear

export interface LinearOptions {
  bias?: boolean;
}

/** y = x·Wᵀ + b with W [out, in], b [out]; PyTorch default initialisation U(±1/√in). */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    const op = 'Linear';
    checkPositiveInt(op, 'inFeatures', inFeatures);
    checkPositiveInt(op, 'outFeatures', outFeatures);
    const useBias = checkBoolean(op, 'bias', checkOptions<LinearOptions>(op, options, ['bias']).bias ?? true);
    this.weight = this.registerParameter('weight', defaultInit(op, [outFeatures, inFeatures], inFeatures));
    this.bias = this.registerParameter('bias', useBias ? defaultInit(op, [outFeatures], inFeatures) : null);
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

// ------------------------------------------------------------------ normalization

export interface BatchNormLayerOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Running-statistics momentum (default 0.1; PyTorch convention: running ← (1−m)·running + m·batch). */
  momentum?: number;
  /** Learnable weight (ones) and bias (zeros) [C] (default true). */
  affine?: boolean;
  /** Keep running statistics as buffers and use them in eval (default true). */
  trackRunningStats?: boolean;
}

function checkNormChannels(op: string, x: Tensor, channels: number): void {
  checkRank(op, 'x', x, 4, 'N, C, H, W');
  if (x.shape[1] !== channels) fail(op, 'x', `${channels} channels (shape [N, ${channels}, H, W])`, x.shape);
}

/**
 * Batch normalization over [N, C, H, W]: batch statistics in training (running mean/var updated in
 * place with the unbiased variance), running statistics in eval. Buffers `runningMean` (zeros),
 * `runningVar` (ones); parameters `weight` (ones), `bias` (zeros).
 */
export class BatchNorm2d extends Module {
  readonly eps: number;
  readonly momentum: number;
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;

  constructor(
    readonly numFeatures: number,
    options: BatchNormLayerOptions = {},
  ) {
    super();
    const op = new.target.name;
    const opts = checkOptions<BatchNormLayerOptions>(op, options, ['eps', 'momentum', 'affine', 'trackRunningStats']);
    checkPositiveInt(op, 'numFeatures', numFeatures);
    this.eps = checkFinite(op, 'eps', opts.eps ?? 1e-5, 0);
    this.momentum = checkInRange(op, 'momentum', opts.momentum ?? 0.1, 0, 1);
    const affine = checkBoolean(op, 'affine', opts.affine ?? true);
    const track = checkBoolean(op, 'trackRunningStats', opts.trackRunningStats ?? true);
    this.weight = this.registerParameter('weight', affine ? ones([numFeatures]) : null);
    this.bias = this.registerParameter('bias', affine ? zeros([numFeatures]) : null);
    this.runningMean = this.registerBuffer('runningMean', track ? zeros([numFeatures]) : null);
    this.runningVar = this.registerBuffer('runningVar', track ? ones([numFeatures]) : null);
  }

  /** Batch statistics when training or when running statistics are not tracked. */
  protected get useBatchStats(): boolean {
    return this.training || this.runningMean === null;
  }

  /** Batch norm then `activation` in one kernel; only with running statistics (eval), else undefined. */
  /** The input layout check ([N, C, H, W] here; BatchNorm1d takes [N, C] or [N, C, L]). */
  protected checkInput(x: Tensor): void {
    checkNormChannels(this.opName, x, this.numFeatures);
  }

  forwardActivated(x: Tensor, activation: FusedActivation): Tensor | undefined {
    if (this.useBatchStats) return undefined;
    this.checkInput(x);
    return batchNormInference(x, this.runningMean!, this.runningVar!, this.weight ?? undefined, this.bias ?? undefined, this.eps, activation);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: this.useBatchStats,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

/**
 * Batch normalization over [N, C] or [N, C, L] (PyTorch nn.BatchNorm1d): statistics per channel over
 * the batch (and length), same options, buffers and parameters as BatchNorm2d.
 */
export class BatchNorm1d extends BatchNorm2d {
  protected override checkInput(x: Tensor): void {
    checkRank(this.opName, 'x', x, [2, 3], 'N, C or N, C, L');
    if (x.shape[1] !== this.numFeatures) fail(this.opName, 'x', `${this.numFeatures} channels on axis 1`, x.shape);
  }
  /** No fused BN + activation for 1-d inputs: the plain ops run. */
  override forwardActivated(): Tensor | undefined {
    return undefined;
  }
}

export interface BatchRenormLayerOptions extends Omit<BatchNormLayerOptions, 'trackRunningStats'> {
  /** r clipped to [1/rMax, rMax] (default 3). */
  rMax?: number;
  /** d clipped to [−dMax, dMax] (default 5). */
  dMax?: number;
}

/**
 * Batch renormalization (Ioffe 2017) over [N, C, H, W]. rMax/dMax are plain fields: schedules
 * (start at 1 and 0, then relax) set them between steps. Eval behaves as BatchNorm2d.
 */
export class BatchRenorm2d extends BatchNorm2d {
  rMax: number;
  dMax: number;
  constructor(numFeatures: number, options: BatchRenormLayerOptions = {}) {
    const { rMax = 3, dMax = 5, ...rest } = checkOptions<BatchRenormLayerOptions>('BatchRenorm2d', options, ['eps', 'momentum', 'affine', 'rMax', 'dMax']);
    // checked before super() allocates the parameters, so a rejected call leaves nothing behind
    checkFinite('BatchRenorm2d', 'rMax', rMax, 1);
    checkFinite('BatchRenorm2d', 'dMax', dMax, 0);
    super(numFeatures, rest);
    this.rMax = rMax;
    this.dMax = dMax;
  }
  override forward(x: Tensor): Tensor {
    checkNormChannels(this.opName, x, this.numFeatures);
    return batchRenorm(x, this.runningMean!, this.runningVar!, this.weight, this.bias, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
      rMax: this.rMax,
      dMax: this.dMax,
    });
  }
}

export interface LayerNormOptions {
  eps?: number;
  /** Learnable weight (ones) and bias (zeros) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
}

/** Layer normalization over the trailing `normalizedShape` axes. */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(normalizedShape: number | number[], options: LayerNormOptions = {}) {
    super();
    const op = 'LayerNorm';
    const opts = checkOptions<LayerNormOptions>(op, options, ['eps', 'elementwiseAffine']);
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || shape.length === 0) fail(op, 'normalizedShape', 'a positive integer or a non-empty array', normalizedShape);
    Array.from(shape, (s, i) => checkPositiveInt(op, `normalizedShape[${i}]`, s));
    this.normalizedShape = Object.freeze([...shape]);
    this.eps = checkFinite(op, 'eps', opts.eps ?? 1e-5, 0);
    const affine = checkBoolean(op, 'elementwiseAffine', opts.elementwiseAffine ?? true);
    this.weight = this.registerParameter('weight', affine ? ones(shape) : null);
    this.bias = this.registerParameter('bias', affine ? zeros(shape) : null);
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, [...this.normalizedShape], this.weight, this.bias, { eps: this.eps });
  }
}

export interface AffineNormOptions {
  eps?: number;
  affine?: boolean;
}

/**
 * Instance normalization of [N, C, H, W]: statistics per (n, c), in training and eval alike
 * (PyTorch's default trackRunningStats = false; no running statistics here). Affine off by default.
 */
export class InstanceNorm2d extends Module {
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(
    readonly numFeatures: number,
    options: AffineNormOptions = {},
  ) {
    super();
    const op = 'InstanceNorm2d';
    const opts = checkOptions<AffineNormOptions>(op, options, ['eps', 'affine']);
    checkPositiveInt(op, 'numFeatures', numFeatures);
    this.eps = checkFinite(op, 'eps', opts.eps ?? 1e-5, 0);
    const affine = checkBoolean(op, 'affine', opts.affine ?? false);
    this.weight = this.registerParameter('weight', affine ? ones([numFeatures]) : null);
    this.bias = this.registerParameter('bias', affine ? zeros([numFeatures]) : null);
  }
  forward(x: Tensor): Tensor {
    checkNormChannels(this.opName, x, this.numFeatures);
    return instanceNorm(x, this.weight, this.bias, { eps: this.eps });
  }
}

/** Group normalization: statistics per (n, group), affine per channel (default on). */
export class GroupNorm extends Module {
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: AffineNormOptions = {},
  ) {
    super();
    const op = 'GroupNorm';
    const opts = checkOptions<AffineNormOptions>(op, options, ['eps', 'affine']);
    checkPositiveInt(op, 'numGroups', numGroups);
    checkPositiveInt(op, 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) fail(op, 'numGroups', `a divisor of numChannels (${numChannels})`, numGroups);
    this.eps = checkFinite(op, 'eps', opts.eps ?? 1e-5, 0);
    const affine = checkBoolean(op, 'affine', opts.affine ?? true);
    this.weight = this.registerParameter('weight', affine ? ones([numChannels]) : null);
    this.bias = this.registerParameter('bias', affine ? zeros([numChannels]) : null);
  }
  forward(x: Tensor): Tensor {
    checkRank('GroupNorm', 'x', x, [2, 3, 4, 5], 'N, C, …');
    if (x.shape[1] !== this.numChannels) fail('GroupNorm', 'x', `${this.numChannels} channels on axis 1`, x.shape);
    return groupNorm(x, this.numGroups, this.weight, this.bias, { eps: this.eps });
  }
}

export interface FilterResponseNormOptions {
  /** Initial eps (default 1e-6). */
  eps?: number;
  /** Make eps a learnable [1] parameter named "eps" (|eps| is used; default false). */
  learnableEps?: boolean;
}

/**
 * Filter response normalization + TLU (Singh & Krishnan 2020) over [N, C, H, W]:
 * y = max(γ·x/√(mean(x²) + |eps|) + β, τ). Parameters weight (ones), bias (zeros), tau (zeros), and
 * eps [1] when learnable. No running statistics: train and eval are identical.
 */
export class FilterResponseNorm2d extends Module {
  weight: Tensor;
  bias: Tensor;
  tau: Tensor;
  /** A [1] parameter when learnable, else the number. */
  eps: Tensor | number;
  constructor(
    readonly numFeatures: number,
    options: FilterResponseNormOptions = {},
  ) {
    super();
    const op = 'FilterResponseNorm2d';
    const opts = checkOptions<FilterResponseNormOptions>(op, options, ['eps', 'learnableEps']);
    checkPositiveInt(op, 'numFeatures', numFeatures);
    // negative is valid: |eps| is used (a learned eps may cross zero)
    const eps = checkFinite(op, 'eps', opts.eps ?? 1e-6);
    const learnable = checkBoolean(op, 'learnableEps', opts.learnableEps ?? false);
    this.weight = this.registerParameter('weight', ones([numFeatures]));
    this.bias = this.registerParameter('bias', zeros([numFeatures]));
    this.tau = this.registerParameter('tau', zeros([numFeatures]));
    this.eps = learnable ? this.registerParameter('eps', tensor([eps], [1])) : eps;
  }
  forward(x: Tensor): Tensor {
    checkNormChannels(this.opName, x, this.numFeatures);
    // inference (nothing to record): FRN and TLU in one kernel
    const recording = isGradEnabled() && (x.requiresGrad || this.parameters().some((p) => p.requiresGrad));
    if (!recording) return frnTluInference(x, this.weight, this.bias, this.tau, this.eps);
    return scope(() => tlu(frn(x, this.weight, this.bias, { eps: this.eps }), this.tau));
  }
}

// ------------------------------------------------------------------ containers

/** A layer that can apply an activation in its own kernel (returns undefined where it cannot). */
interface Activatable {
  forwardActivated(x: Tensor, activation: FusedActivation): Tensor | undefined;
}
const activated = (layer: Module, x: Tensor): Tensor | undefined =>
  typeof (layer as Partial<Activatable>).forwardActivated === 'function' ? (layer as unknown as Activatable).forwardActivated(x, 'relu') : undefined;

/** Applies its children in order; they are registered as "0", "1", …. */
export class Sequential extends Module {
  private readonly layers: Module[] = [];
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) fail('Sequential', `modules[${i}]`, 'a Module', m);
      this.append(m);
    });
  }
  /** Adds a layer at the end (named by its index). */
  append(m: Module): this {
    if (!(m instanceof Module)) fail('Sequential.append', 'module', 'a Module', m);
    this.registerModule(String(this.layers.length), m);
    this.layers.push(m);
    return this;
  }
  get length(): number {
    return this.layers.length;
  }
  at(i: number): Module | undefined {
    return this.layers.at(i);
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }
  forward(x: Tensor): Tensor {
    checkTensor(this.opName, 'x', x);
    // intermediate activations are freed; the autograd graph keeps its own references
    return scope(() => {
      let h = x;
      for (let i = 0; i < this.layers.length; i++) {
        const layer = this.layers[i]!;
        // a layer followed by ReLU may run both in one kernel (conv + bias + ReLU, BN inference + ReLU)
        const fused = this.layers[i + 1] instanceof ReLU ? activated(layer, h) : undefined;
        if (fused) i++;
        h = fused ?? layer.forward(h);
      }
      return h;
    });
  }
}

export interface ResidualOptions {
  /** Applied to the (scaled) input instead of the identity, e.g. a 1×1 conv when shapes change. */
  shortcut?: Module;
  /** Output scale of the residual branch (default 1). */
  alpha?: number;
  /** The branch (and a shortcut module) sees x/β (default 1: NF-ResNets use β = expected std of x). */
  beta?: number;
}

/**
 * y = s + α·f(x/β) with s = x (identity) or s = shortcut(x/β) (NF-ResNets, Brock et al. 2021:
 * h_{i+1} = h_i + α·f_i(h_i/β_i); defaults α = β = 1 give the plain y = x + f(x)). Children are
 * registered as "body" and "shortcut".
 */
export class Residual extends Module {
  readonly body: Module;
  readonly shortcut: Module | undefined;
  readonly alpha: number;
  readonly beta: number;
  constructor(body: Module, options: ResidualOptions = {}) {
    super();
    const op = 'Residual';
    const opts = checkOptions<ResidualOptions>(op, options, ['shortcut', 'alpha', 'beta']);
    if (!(body instanceof Module)) fail(op, 'body', 'a Module', body);
    this.body = this.registerModule('body', body);
    this.shortcut = opts.shortcut === undefined ? undefined : this.registerModule('shortcut', opts.shortcut);
    this.alpha = checkFinite(op, 'alpha', opts.alpha ?? 1);
    this.beta = checkFinite(op, 'beta', opts.beta ?? 1);
    if (this.beta <= 0) fail(op, 'beta', 'a positive number', this.beta);
  }
  forward(x: Tensor): Tensor {
    checkTensor(this.opName, 'x', x);
    return scope(() => {
      const input = this.beta === 1 ? x : div(x, this.beta);
      let branch = this.body.forward(input);
      if (this.alpha !== 1) branch = mul(branch, this.alpha);
      const skip = this.shortcut ? this.shortcut.forward(input) : x;
      if (skip.shape.length !== branch.shape.length || skip.shape.some((s, i) => s !== branch.shape[i])) {
        fail(op(this), 'body', `an output of the shortcut's shape [${skip.shape.join(', ')}]`, branch.shape);
      }
      return add(skip, branch);
    });
  }
}

const op = (m: Module) => `${m.constructor.name}.forward`;
