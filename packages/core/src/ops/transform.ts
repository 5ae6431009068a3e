import { guarded } from '../guard.js';
import { noGrad, scope } from '../engine.js';
import { fail } from '../errors.js';
import { conv2dGeometry, padding1dTo2d } from '../shape.js';
import { Tensor } from '../tensor.js';
import { checkFinite, checkOptionalShape, checkOptions, checkPositiveInt, checkRank, checkShape } from '../validate.js';
import type { Conv1dOptions, Conv2dOptions } from './conv.js';
import { tensor } from './creation.js';
import { add, div, mul, sqrt, sub } from './elementwise.js';
import { reshape } from './reshape.js';

/**
 * The dense (Toeplitz) matrix M of a convolution with weights `w`, such that for one sample
 * flatten(conv(x, w)) = M · flatten(x). `inputShape` is [C, H, W] (or [N, C, H, W]; N is ignored)
 * for 2-d weights, [C, L] (or [N, C, L]) for 1-d weights. Result: [O·OH·OW, C·H·W]. For teaching
 * and tests: it reads the weights back to build the matrix.
 */
export const convToMatrix = guarded('convToMatrix', function convToMatrix(w: Tensor, inputShape: readonly number[], options: Conv2dOptions | Conv1dOptions = {}): Tensor {
  const op = 'convToMatrix';
  checkRank(op, 'w', w, [3, 4], 'O, C/groups, kh, kw or O, C/groups, k');
  const oneD = w.rank === 3;
  const layout = oneD ? '[C, L] or [N, C, L]' : '[C, H, W] or [N, C, H, W]';
  if (!Array.isArray(inputShape) || ![oneD ? 2 : 3, oneD ? 3 : 4].includes(inputShape.length)) fail(op, 'inputShape', layout, inputShape);
  inputShape.forEach((s, i) => checkPositiveInt(op, `inputShape[${i}]`, s));
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
  const weights = w.dataSync();
  const rows = g.outChannels * g.outHeight * g.outWidth;
  const cols = c * h * width;
  const matrix = new Float32Array(rows * cols);
  const cPerGroup = c / g.groups;
  const oPerGroup = g.outChannels / g.groups;
  for (let oc = 0; oc < g.outChannels; oc++) {
    const group = Math.floor(oc / oPerGroup);
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        const row = (oc * g.outHeight + oy) * g.outWidth + ox;
        for (let ic = 0; ic < cPerGroup; ic++) {
          for (let ky = 0; ky < g.kernelHeight; ky++) {
            const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < g.kernelWidth; kx++) {
              const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
              if (ix < 0 || ix >= width) continue;
              const wy = flip ? g.kernelHeight - 1 - ky : ky;
              const wx = flip ? g.kernelWidth - 1 - kx : kx;
              const weight = weights[((oc * cPerGroup + ic) * g.kernelHeight + wy) * g.kernelWidth + wx]!;
              matrix[row * cols + ((group * cPerGroup + ic) * h + iy) * width + ix]! += weight;
            }
          }
        }
      }
    }
  }
  return tensor(matrix, [rows, cols], { backend: w.backend });
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

