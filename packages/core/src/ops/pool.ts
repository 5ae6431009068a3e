import { guarded } from '../guard.js';
import { record } from '../autograd.js';
import { runKernel, scope } from '../engine.js';
import { fail } from '../errors.js';
import type { Pool2dGeometry } from '../kernels.js';
import { checkPoolWindow, checkSpatialNonEmpty, padding1dTo2d, pool2dGeometry, type Padding1d, type PoolOptions2d } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkBoolean, checkOptions, checkRank, checkWindowSize } from '../validate.js';
import { mul } from './elementwise.js';
import { broadcastTo } from './reduce.js';
import { reshape } from './reshape.js';

export type MaxPool2dOptions = PoolOptions2d;
export interface AvgPool2dOptions extends Omit<PoolOptions2d, 'dilation'> {
  countIncludePad?: boolean;
}
export interface Pool1dOptions {
  kernelSize: number;
  stride?: number;
  /** A number, [p], [left, right], 'valid' or 'same' (SAME_UPPER). */
  padding?: Padding1d;
  dilation?: number;
  ceilMode?: boolean;
}
export interface AvgPool1dOptions extends Omit<Pool1dOptions, 'dilation'> {
  countIncludePad?: boolean;
}

export const MAX_POOL_KEYS = ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'] as const;
export const AVG_POOL_KEYS = ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad'] as const;

function maxPool2dCore(op: string, x: Tensor, options: PoolOptions2d): Tensor {
  const geometry = pool2dGeometry(op, x.shape, options);
  const [y] = runKernel('maxPool2d', { x }, { geometry }) as [Tensor];
  record(op, y, [x], [x], (dy, [sx]) => [runKernel('maxPool2dBackward', { dy, x: sx! }, { geometry })[0]]);
  return y;
}

function avgPool2dCore(op: string, x: Tensor, options: PoolOptions2d, countIncludePad: boolean): Tensor {
  const geometry: Pool2dGeometry = pool2dGeometry(op, x.shape, options);
  const attrs = { geometry, countIncludePad };
  const [y] = runKernel('avgPool2d', { x }, attrs) as [Tensor];
  record(op, y, [x], [], (dy) => [runKernel('avgPool2dBackward', { dy }, attrs)[0]]);
  return y;
}

/** Max pooling over x [N, C, H, W]; padding is ignored (−∞), ties go to the first maximum. */
export const maxPool2d = guarded('maxPool2d', function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  const op = 'maxPool2d';
  checkRank(op, 'x', x, 4, 'N, C, H, W');
  return maxPool2dCore(op, x, checkPoolOptions(op, options, MAX_POOL_KEYS));
});

/** Average pooling over x [N, C, H, W] (countIncludePad defaults to true, as in PyTorch). */
export const avgPool2d = guarded('avgPool2d', function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  checkRank(op, 'x', x, 4, 'N, C, H, W');
  const opts = checkPoolOptions<AvgPool2dOptions>(op, options, AVG_POOL_KEYS);
  const { countIncludePad = true, ...window } = opts;
  return avgPool2dCore(op, x, window, checkBoolean(op, 'countIncludePad', countIncludePad));
});

/** 1-d pool options, checked in 1-d terms, as the 2-d options of the [N, C, 1, L] view. */
export function pool1dAs2d(op: string, options: Pool1dOptions): PoolOptions2d {
  if (options.kernelSize === undefined) fail(op, 'kernelSize', 'a positive integer', undefined);
  const kernelSize = checkWindowSize(op, 'kernelSize', options.kernelSize);
  const window: PoolOptions2d = {
    kernelSize: [1, kernelSize],
    stride: [1, checkWindowSize(op, 'stride', options.stride ?? kernelSize)],
    padding: padding1dTo2d(op, options.padding ?? 0),
    dilation: [1, checkWindowSize(op, 'dilation', options.dilation ?? 1)],
    ...(options.ceilMode === undefined ? {} : { ceilMode: options.ceilMode }),
  };
  checkPoolWindow(op, window, options.padding);
  return window;
}

/** Pool options as an object with only `keys` (a layer checks them at construction). */
export function checkPoolOptions<T>(op: string, options: unknown, keys: readonly string[]): T {
  if (options === undefined || options === null || typeof options !== 'object' || Array.isArray(options)) fail(op, 'options', 'an object with kernelSize', options);
  return checkOptions<T & object>(op, options, keys) as T;
}

function pool1d(op: string, x: Tensor, run: (x4: Tensor) => Tensor): Tensor {
  checkRank(op, 'x', x, 3, 'N, C, L');
  checkSpatialNonEmpty(op, x.shape); // in 1-d terms, before the [N, C, 1, L] view
  // the [N, C, 1, L] views are disposed by the scope, also when validation throws
  return scope(() => {
    const y4 = run(reshape(x, [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]));
    return reshape(y4, [y4.shape[0]!, y4.shape[1]!, y4.shape[3]!]);
  });
}

export const maxPool1d = guarded('maxPool1d', function maxPool1d(x: Tensor, options: Pool1dOptions): Tensor {
  const op = 'maxPool1d';
  const opts = checkPoolOptions<Pool1dOptions>(op, options, MAX_POOL_KEYS);
  const window = pool1dAs2d(op, opts);
  return pool1d(op, x, (x4) => maxPool2dCore(op, x4, window));
});

export const avgPool1d = guarded('avgPool1d', function avgPool1d(x: Tensor, options: AvgPool1dOptions): Tensor {
  const op = 'avgPool1d';
  const { countIncludePad = true, ...rest } = checkPoolOptions<AvgPool1dOptions>(op, options, AVG_POOL_KEYS);
  const window = pool1dAs2d(op, rest);
  const includePad = checkBoolean(op, 'countIncludePad', countIncludePad);
  return pool1d(op, x, (x4) => avgPool2dCore(op, x4, window, includePad));
});

function globalAvgPool(op: string, x: Tensor): Tensor {
  const [y] = runKernel('globalAvgPool', { x }, {}) as [Tensor];
  const count = x.shape.slice(2).reduce((a, b) => a * b, 1);
  record(op, y, [x], [], (dy) => [mul(broadcastTo(dy, x.shape), 1 / count)]);
  return y;
}

/** Mean over H, W: x [N, C, H, W] → [N, C, 1, 1]. */
export const globalAvgPool2d = guarded('globalAvgPool2d', function globalAvgPool2d(x: Tensor): Tensor {
  checkRank('globalAvgPool2d', 'x', x, 4, 'N, C, H, W');
  return globalAvgPool('globalAvgPool2d', x);
});

/** Mean over L: x [N, C, L] → [N, C, 1]. */
export const globalAvgPool1d = guarded('globalAvgPool1d', function globalAvgPool1d(x: Tensor): Tensor {
  checkRank('globalAvgPool1d', 'x', x, 3, 'N, C, L');
  return globalAvgPool('globalAvgPool1d', x);
});
