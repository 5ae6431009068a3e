import { scope } from '../engine.js';
import { fail } from '../errors.js';
import { conv1d, conv2d, type Conv1dOptions, type Conv2dOptions, type ConvMode } from '../ops/conv.js';
import { tensor, ones } from '../ops/creation.js';
import { add, div, mul, sqrt, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { reshape } from '../ops/reshape.js';
import { padding1dTo2d, resolvePadding2d, type Padding1d, type Padding2d } from '../shape.js';
import { uniformArray } from '../random.js';
import type { Tensor } from '../tensor.js';
import { checkAllocation, checkBoolean, checkFinite, checkOptions, checkPositiveInt, checkRank, checkTuple, checkWindowSize } from '../validate.js';
import type { FusedActivation } from '../kernels.js';
import { Module } from './module.js';

export interface Conv2dLayerOptions extends Conv2dOptions {
  /** Learnable bias [O] (default true). */
  bias?: boolean;
}
export interface Conv1dLayerOptions extends Conv1dOptions {
  bias?: boolean;
}

const CONV_LAYER_KEYS = ['stride', 'padding', 'dilation', 'groups', 'mode', 'bias'] as const;

/** PyTorch's default conv/linear initialisation: kaiming_uniform(a=√5) ⇒ U(±1/√fanIn), bias U(±1/√fanIn). */
export function defaultInit(op: string, shape: number[], fanIn: number): Tensor {
  // before the random values are drawn: new nn.Linear(2 ** 31, 1) must not allocate 8 GiB first
  checkAllocation(op, 'weight', shape);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return tensor(uniformArray(shape.reduce((a, b) => a * b, 1), -bound, bound), shape);
}

/** Set while a layer is built only to receive loaded values (fuseConvBatchNorm): skips random init. */
let skipInit = false;
/** Runs `fn` with parameter initialisation replaced by zeros (the global generator is not advanced). */
export function withoutInit<T>(fn: () => T): T {
  const before = skipInit;
  skipInit = true;
  try {
    return fn();
  } finally {
    skipInit = before;
  }
}
function initTensor(op: string, shape: number[], fanIn: number): Tensor {
  if (skipInit) {
    checkAllocation(op, 'weight', shape);
    return tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }
  return defaultInit(op, shape, fanIn);
}

function checkChannels(op: string, inChannels: number, outChannels: number, groups: unknown): number {
  checkPositiveInt(op, 'inChannels', inChannels);
  checkPositiveInt(op, 'outChannels', outChannels);
  const g = checkPositiveInt(op, 'groups', groups ?? 1);
  if (inChannels % g !== 0) fail(op, 'groups', `a divisor of inChannels (${inChannels})`, g);
  if (outChannels % g !== 0) fail(op, 'groups', `a divisor of outChannels (${outChannels})`, g);
  return g;
}

/** x of the layer's rank with `inChannels` on axis 1 (else the conv would blame the weight's shape). */
function checkConvInput(op: string, x: unknown, rank: 3 | 4, inChannels: number): void {
  const t = checkRank(op, 'x', x, rank, rank === 4 ? 'N, C, H, W' : 'N, C, L');
  if (t.shape[1] !== inChannels) fail(op, 'x', `${inChannels} channels on axis 1`, t.shape);
}

/** Rejects bad stride/dilation/padding when the layer is built, as PyTorch does (sizes come with the input). */
function checkWindowOptions(op: string, stride: unknown, dilation: unknown, padding: unknown, rank: 1 | 2): void {
  checkTuple(op, 'stride', stride ?? 1, rank, checkWindowSize);
  checkTuple(op, 'dilation', dilation ?? 1, rank, checkWindowSize);
  resolvePadding2d(op, padding ?? 0, [1, 1], [1, 1], [1, 1], [1, 1]);
}

/**
 * 2-d convolution layer: weight [O, C/groups, kh, kw] and optional bias [O], PyTorch default
 * initialisation. Options as the functional `conv2d` plus `bias` (default true).
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly options: Readonly<Conv2dOptions>;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: Conv2dLayerOptions = {}) {
    super();
    const op = new.target === WSConv2d ? 'WSConv2d' : 'Conv2d';
    const opts = checkOptions<Conv2dLayerOptions>(op, options, CONV_LAYER_KEYS);
    const groups = checkChannels(op, inChannels, outChannels, opts.groups);
    const [kh, kw] = checkTuple(op, 'kernelSize', kernelSize, 2, checkWindowSize) as [number, number];
    const useBias = checkBoolean(op, 'bias', opts.bias ?? true);
    if (opts.mode !== undefined && opts.mode !== 'correlation' && opts.mode !== 'convolution') fail(op, 'mode', '"correlation" or "convolution"', opts.mode);
    checkWindowOptions(op, opts.stride, opts.dilation, opts.padding, 2);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = [kh, kw];
    const { bias: _bias, ...convOptions } = opts;
    this.options = Object.freeze({ ...convOptions, groups });
    const fanIn = (inChannels / groups) * kh * kw;
    this.weight = this.registerParameter('weight', initTensor(op, [outChannels, inChannels / groups, kh, kw], fanIn));
    this.bias = this.registerParameter('bias', useBias ? initTensor(op, [outChannels], fanIn) : null);
  }

  get stride(): number | [number, number] {
    return this.options.stride ?? 1;
  }
  get padding(): Padding2d {
    return this.options.padding ?? 0;
  }
  get dilation(): number | [number, number] {
    return this.options.dilation ?? 1;
  }
  get groups(): number {
    return this.options.groups ?? 1;
  }
  get mode(): ConvMode {
    return this.options.mode ?? 'correlation';
  }

  /** The weight the convolution uses (WSConv2d standardizes it; here it is `weight` itself). */
  effectiveWeight(): Tensor {
    return this.weight;
  }

  forward(x: Tensor): Tensor {
    checkConvInput(this.opName, x, 4, this.inChannels);
    return conv2d(x, this.weight, this.bias, this.options);
  }

  /** Conv + bias + `activation` in one kernel (conv2dFused), gradients included. */
  forwardActivated(x: Tensor, activation: FusedActivation): Tensor | undefined {
    checkConvInput(this.opName, x, 4, this.inChannels);
    return scope(() => conv2d(x, this.effectiveWeight(), this.bias, { ...this.options, activation }));
  }
}

/** 1-d convolution layer: weight [O, C/groups, k], bias [O]; PyTorch default initialisation. */
export class Conv1d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly options: Readonly<Conv1dOptions>;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dLayerOptions = {}) {
    super();
    const op = 'Conv1d';
    const opts = checkOptions<Conv1dLayerOptions>(op, options, CONV_LAYER_KEYS);
    const groups = checkChannels(op, inChannels, outChannels, opts.groups);
    const k = checkWindowSize(op, 'kernelSize', kernelSize);
    const useBias = checkBoolean(op, 'bias', opts.bias ?? true);
    if (opts.mode !== undefined && opts.mode !== 'correlation' && opts.mode !== 'convolution') fail(op, 'mode', '"correlation" or "convolution"', opts.mode);
    checkWindowOptions(op, opts.stride, opts.dilation, opts.padding === undefined ? undefined : padding1dTo2d(op, opts.padding), 1);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = k;
    const { bias: _bias, ...convOptions } = opts;
    this.options = Object.freeze({ ...convOptions, groups });
    const fanIn = (inChannels / groups) * k;
    this.weight = this.registerParameter('weight', initTensor(op, [outChannels, inChannels / groups, k], fanIn));
    this.bias = this.registerParameter('bias', useBias ? initTensor(op, [outChannels], fanIn) : null);
  }

  get padding(): Padding1d {
    return this.options.padding ?? 0;
  }

  forward(x: Tensor): Tensor {
    checkConvInput(this.opName, x, 3, this.inChannels);
    return conv1d(x, this.weight, this.bias, this.options);
  }
}

export interface WSConv2dOptions extends Conv2dLayerOptions {
  /** Added to var·fanIn under the square root (default 1e-4, as the NF-Nets reference). */
  eps?: number;
}

/**
 * Scaled weight standardization (NF-ResNets / NFNets, Brock et al. 2021):
 * Ŵ = gain · (W − mean) / √(var·fanIn + eps), mean and (biased) var per output channel over
 * (C/groups, kh, kw), fanIn = C/groups·kh·kw, learnable `gain` [O] initialised to 1. Differentiable
 * through the standardization. Weights and bias use Conv2d's default initialisation.
 */
export class WSConv2d extends Conv2d {
  readonly eps: number;
  gain: Tensor;

  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options: WSConv2dOptions = {}) {
    const { eps = 1e-4, ...convOptions } = checkOptions<WSConv2dOptions>('WSConv2d', options, [...CONV_LAYER_KEYS, 'eps']);
    // checked before super() allocates weight and bias, so a rejected call leaves nothing behind
    checkFinite('WSConv2d', 'eps', eps, 0);
    super(inChannels, outChannels, kernelSize, convOptions);
    this.eps = eps;
    this.gain = this.registerParameter('gain', ones([outChannels]));
  }

  override effectiveWeight(): Tensor {
    const w = this.weight;
    const [o] = w.shape as [number];
    const fanIn = w.size / o;
    return scope(() => {
      const centred = sub(w, mean(w, [1, 2, 3], true));
      const variance = mean(mul(centred, centred), [1, 2, 3], true);
      const scale = div(reshape(this.gain, [o, 1, 1, 1]), sqrt(add(mul(variance, fanIn), this.eps)));
      return mul(centred, scale);
    });
  }

  override forward(x: Tensor): Tensor {
    checkConvInput(this.opName, x, 4, this.inChannels);
    return scope(() => conv2d(x, this.effectiveWeight(), this.bias, this.options));
  }

  override forwardActivated(x: Tensor, activation: FusedActivation): Tensor | undefined {
    return super.forwardActivated(x, activation);
  }
}
