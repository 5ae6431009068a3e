import { guarded } from '../guard.js';
import { noGrad, runKernel, scope } from '../engine.js';
import { fail } from '../errors.js';
import { conv2dGeometry, padding1dTo2d } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkFinite, checkOptionalShape, checkOptions, checkPositiveInt, checkRank, checkShape } from '../validate.js';
import { reverseSpatial, type Conv1dOptions, type Conv2dOptions } from './conv.js';
import { tensor } from './creation.js';
import { add, div, mul, sqrt, sub } from './elementwise.js';
import { reshape } from './reshape.js';

/**
 * The dense (Toeplitz) matrix M of a convolution with weights `w`, such that for one sample
 * flatten(conv(x, w)) = M · flatten(x). `inputShape` is [C, H, W] (or [N, C, H, W]; N is ignored)
 * for 2-d weights, [C, L] (or [N, C, L]) for 1-d weights. Result: [O·OH·OW, C·H·W], computed on the
 * weights' backend. For teaching and tests (its size grows with the square of the output).
 */
export const convToMatrix = guarded('convToMatrix', function convToMatrix(w: Tensor, inputShape: readonly number[], options: Conv2dOptions | Conv1dOptions = {}): Tensor {
  const op = 'convToMatrix';
  checkRank(op, 'w', w, [3, 4], 'O, C/groups, kh, kw or O, C/groups, k');
  const oneD = w.rank === 3;
  const layout = oneD ? '[C, L] or [N, C, L]' : '[C, H, W] or [N, C, H, W]';
  if (!Array.isArray(inputShape) || ![oneD ? 2 : 3, oneD ? 3 : 4].includes(inputShape.length)) fail(op, 'inputShape', layout, inputShape);
  Array.from(inputShape, (s, i) => checkPositiveInt(op, `inputShape[${i}]`, s));
  checkOptions(op, options, ['stride', 'padding', 'dilation', 'groups', 'mode']);
  const sample = inputShape.slice(inputShape.length - (oneD ? 2 : 3));
  const [c, h, width] = oneD ? [sample[0]!, 1, sample[1]!] : (sample as [number, number, number]);
  const w4 = oneD ? [w.shape[0]!, w.shape[1]!, 1, w.shape[2]!] : [...w.shape];
  const o = options as Conv1dOptions & Conv2dOptions;
  const opts2d: Conv2dOptions = oneD
    ? { stride: [1, (o.stride as number) ?? 1], dilation: [1, (o.dilation as number) ?? 1], groups: o.groups, padding: padding1dTo2d(op, o.padding ?? 0) }
    : { stride: o.stride, dilation: o.dilation, groups: o.groups, padding: o.padding };
  const g = conv2dGeometry(op, [1, c, h, width], w4, opts2d);
  const flip = o.mode === 'convolution';
  if (o.mode !== undefined && o.mode !== 'correlation' && !flip) fail(op, 'mode', '"correlation" or "convolution"', o.mode);
  const rows = g.outChannels * g.outHeight * g.outWidth;
  const cols = c * h * width;
  // Row r of M is the conv's adjoint applied to the one-hot output e_r: one conv2dBackpropInput over a
  // batch of `rows` one-hot outputs, on the weights' backend (no read-back).
  const oneHot = new Float32Array(rows * rows);
  for (let r = 0; r < rows; r++) oneHot[r * rows + r] = 1;
  const geometry = conv2dGeometry(op, [rows, c, h, width], w4, opts2d);
  return noGrad(() =>
    scope(() => {
      const dy = tensor(oneHot, geometry.yShape, { backend: w.backend });
      const w2 = reshape(w, w4);
      const kernel = flip ? reverseSpatial(w2) : w2;
      const [dx] = runKernel('conv2dBackpropInput', { dy, w: kernel }, { geometry });
      return reshape(dx!, [rows, cols]);
    }),
  );
});

export interface ConvParams {
  weight: Tensor;
  bias?: Tensor | null;
}
export interface BatchNormParams {
  runningMean: Tensor;
  runningVar: Tensor;
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

/**
 * Folds a frozen batch norm into the preceding convolution's parameters:
 * W' = γ·W/σ, b' = γ·(b − μ)/σ + β with σ = √(running var + eps). Returns new tensors; the inputs
 * are unchanged.
 */
export const fuseConvBatchNormParams = guarded('fuseConvBatchNormParams', function fuseConvBatchNormParams(conv: ConvParams, bn: BatchNormParams): { weight: Tensor; bias: Tensor } {
  const op = 'fuseConvBatchNormParams';
  if (conv === null || typeof conv !== 'object') fail(op, 'conv', 'an object {weight, bias?}', conv);
  if (bn === null || typeof bn !== 'object') fail(op, 'bn', 'an object {runningMean, runningVar, weight?, bias?, eps?}', bn);
  checkRank(op, 'conv.weight', conv.weight, [3, 4]);
  const out = conv.weight.shape[0]!;
  checkOptionalShape(op, 'conv.bias', conv.bias, [out]);
  checkShape(op, 'bn.runningMean', bn.runningMean, [out]);
  checkShape(op, 'bn.runningVar', bn.runningVar, [out]);
  checkOptionalShape(op, 'bn.weight', bn.weight, [out]);
  checkOptionalShape(op, 'bn.bias', bn.bias, [out]);
  const eps = checkFinite(op, 'bn.eps', bn.eps ?? 1e-5, 0);
  return noGrad(() =>
    scope(() => {
      const scale = div(bn.weight ?? 1, sqrt(add(bn.runningVar, eps)));
      const weight = mul(conv.weight, reshape(scale, [out, ...new Array<number>(conv.weight.rank - 1).fill(1)]));
      const centred = conv.bias ? sub(conv.bias, bn.runningMean) : mul(bn.runningMean, -1);
      let bias = mul(centred, scale);
      if (bn.bias) bias = add(bias, bn.bias);
      return { weight, bias };
    }),
  );
});

