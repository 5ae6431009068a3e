import { noGrad, scope } from '../engine.js';
import { fail } from '../errors.js';
import { fuseConvBatchNormParams } from '../ops/transform.js';
import { Conv2d, withoutInit } from './conv.js';
import { BatchNorm2d } from './layers.js';

/**
 * Folds an eval-mode batch norm into the convolution before it: returns a NEW Conv2d (with bias)
 * whose output equals `bn(conv(x))` with `bn` in eval mode (running statistics):
 * W' = γ·W/σ, b' = γ·(b − μ)/σ + β, σ = √(running var + eps). The inputs are not changed; the new
 * module copies conv's options (stride, padding, dilation, groups, mode) and training flag. A
 * WSConv2d is accepted too: its standardized weight is folded (the result is a plain Conv2d).
 * The global random generator is not advanced.
 */
export function fuseConvBatchNorm(conv: Conv2d, bn: BatchNorm2d): Conv2d {
  const op = 'fuseConvBatchNorm';
  if (!(conv instanceof Conv2d)) fail(op, 'conv', 'a Conv2d', conv);
  if (!(bn instanceof BatchNorm2d)) fail(op, 'bn', 'a BatchNorm2d', bn);
  if (!bn.runningMean || !bn.runningVar) fail(op, 'bn', 'a BatchNorm2d with running statistics (trackRunningStats: true)', 'none');
  if (bn.numFeatures !== conv.outChannels) fail(op, 'bn', `${conv.outChannels} features (conv's outChannels)`, bn.numFeatures);
  const fused = withoutInit(() => new Conv2d(conv.inChannels, conv.outChannels, conv.kernelSize, { ...conv.options, bias: true }));
  try {
    noGrad(() => scope(() => {
      const { weight, bias } = fuseConvBatchNormParams(
        { weight: conv.effectiveWeight(), bias: conv.bias },
        { runningMean: bn.runningMean!, runningVar: bn.runningVar!, weight: bn.weight, bias: bn.bias, eps: bn.eps },
      );
      fused.weight.assign(weight);
      fused.bias!.assign(bias);
    }));
  } catch (err) {
    fused.dispose();
    throw err;
  }
  fused.training = conv.training;
  return fused;
}
