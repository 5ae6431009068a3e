import { guarded } from '../guard.js';
import { record } from '../autograd.js';
import { runKernel, scope } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import type { FusedActivation } from '../kernels.js';
import { checkSpatialNonEmpty, conv2dGeometry, padding1dTo2d, type Padding1d, type Padding2d } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkOptionalShape, checkOptions, checkPositiveInt, checkRank, checkWindowSize, shapeText } from '../validate.js';
import { sum } from './reduce.js';
import { reshape } from './reshape.js';

/** 'correlation' (deep learning's "convolution", the default) or 'convolution' (kernel flipped). */
export type ConvMode = 'correlation' | 'convolution';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: Padding2d;
  dilation?: number | [number, number];
  groups?: number;
  mode?: ConvMode;
  /** Activation applied to conv + bias in the same kernel ('none' by default). */
  activation?: FusedActivation;
}

export interface Conv1dOptions {
  stride?: number;
  padding?: Padding1d;
  dilation?: number;
  groups?: number;
  mode?: ConvMode;
}

const CONV_KEYS = ['stride', 'padding', 'dilation', 'groups', 'mode'] as const;
const CONV2D_KEYS = [...CONV_KEYS, 'activation'] as const;

function checkMode(op: string, mode: unknown): ConvMode {
  if (mode === undefined) return 'correlation';
  if (mode !== 'correlation' && mode !== 'convolution') fail(op, 'mode', '"correlation" or "convolution"', mode);
  return mode;
}

/** Reverses the last two axes (differentiable; its own inverse). */
export const reverseSpatial = guarded('reverseSpatial', function reverseSpatial(x: Tensor): Tensor {
  const op = 'reverseSpatial';
  checkRank(op, 'x', x, [2, 3, 4, 5]);
  const [y] = runKernel(op, { x }, {}) as [Tensor];
  record(op, y, [x], [], (dy) => [reverseSpatial(dy)]);
  return y;
});

function checkActivation(op: string, activation: unknown): FusedActivation {
  if (activation === undefined) return 'none';
  if (activation !== 'none' && activation !== 'relu') fail(op, 'activation', '"none" or "relu"', activation);
  return activation;
}

function conv2dCore(op: string, x: Tensor, w: Tensor, b: Tensor | undefined, options: Conv2dOptions): Tensor {
  const mode = checkMode(op, options.mode);
  const activation = checkActivation(op, options.activation);
  const geometry = conv2dGeometry(op, x.shape, w.shape, options);
  checkOptionalShape(op, 'b', b, [geometry.outChannels]);
  const kernel = mode === 'convolution' ? reverseSpatial(w) : w;
  const fused = activation !== 'none';
  const [y] = (fused ? runKernel('conv2dFused', { x, w: kernel, b }, { geometry, activation }) : runKernel('conv2d', { x, w: kernel, b }, { geometry })) as [Tensor];
  record(op, y, [x, kernel, b], fused ? [x, kernel, y] : [x, kernel], (dy, [sx, sw, sy], needs) => {
    // relu'(z) = [y > 0] (y = relu(z) is positive exactly where z is)
    const dz = fused ? runKernel('reluBackward', { dy, x: sy! }, {})[0]! : dy;
    return [
      needs[0] ? runKernel('conv2dBackpropInput', { dy: dz, w: sw }, { geometry })[0] : undefined,
      needs[1] ? runKernel('conv2dBackpropFilter', { x: sx, dy: dz }, { geometry })[0] : undefined,
      needs[2] ? sum(dz, [0, 2, 3]) : undefined,
    ];
  });
  if (kernel !== w) kernel.dispose();
  return y;
}

/**
 * 2-d convolution of x [N, C, H, W] with w [O, C/groups, kh, kw] and optional bias b [O]
 * (PyTorch F.conv2d semantics; padding may also be 4-sided or 'same' with any stride). With
 * `activation: 'relu'` the ReLU runs in the same kernel (conv2dFused), gradients included.
 */
export const conv2d = guarded('conv2d', function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  checkRank(op, 'x', x, 4, 'N, C, H, W');
  checkRank(op, 'w', w, 4, 'O, C/groups, kh, kw');
  return conv2dCore(op, x, w, b ?? undefined, checkOptions<Conv2dOptions>(op, options, CONV2D_KEYS));
});

/** 1-d convolution of x [N, C, L] with w [O, C/groups, k] and optional bias b [O]. */
export const conv1d = guarded('conv1d', function conv1d(x: Tensor, w: Tensor, b?: Tensor | null, options: Conv1dOptions = {}): Tensor {
  const op = 'conv1d';
  checkRank(op, 'x', x, 3, 'N, C, L');
  checkRank(op, 'w', w, 3, 'O, C/groups, k');
  checkSpatialNonEmpty(op, x.shape); // in 1-d terms, before the [N, C, 1, L] view
  if (w.shape[2] === 0) fail(op, 'w', 'a kernel size of at least 1 (w is [O, C/groups, k])', [...w.shape]);
  const opts = checkOptions<Conv1dOptions>(op, options, CONV_KEYS);
  const groups = checkPositiveInt(op, 'groups', opts.groups ?? 1);
  if (x.shape[1]! % groups === 0 && w.shape[1] !== x.shape[1]! / groups) {
    throw new HypercolumnError(`${op}: w expected shape [${w.shape[0]}, ${x.shape[1]! / groups}, k] (input channels ${x.shape[1]} / groups ${groups}), got ${shapeText(w.shape)}`, op, 'w');
  }
  const stride = checkWindowSize(op, 'stride', opts.stride ?? 1);
  const dilation = checkWindowSize(op, 'dilation', opts.dilation ?? 1);
  // the [N, C, 1, L] views are disposed by the scope, also when validation throws
  return scope(() => {
    const x2 = reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]);
    const w2 = reshape(w, [w.shape[0]!, w.shape[1]!, 1, w.shape[2]!]);
    const y2 = conv2dCore(op, x2, w2, b ?? undefined, {
      stride: [1, stride],
      dilation: [1, dilation],
      groups,
      padding: padding1dTo2d(op, opts.padding ?? 0),
      mode: opts.mode,
    });
    return reshape(y2, [y2.shape[0]!, y2.shape[1]!, y2.shape[3]!]);
  });
});
