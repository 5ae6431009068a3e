import { guarded } from '../guard.js';
import { record } from '../autograd.js';
import { noGrad, runKernel, scope } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import type { FusedActivation } from '../kernels.js';
import { Tensor } from '../tensor.js';
import { checkBoolean, checkFinite, checkInRange, checkOptionalShape, checkOptions, checkPositiveInt, checkRank, checkSameBackend, checkShape, checkTensor, shapeText } from '../validate.js';
import { constantLike } from './creation.js';
import { add, maximum, minimum, mul, sqrt, sub, div } from './elementwise.js';
import { sum } from './reduce.js';
import { reshape } from './reshape.js';

export interface BatchNormOptions {
  training?: boolean;
  momentum?: number;
  eps?: number;
}
export interface BatchRenormOptions extends BatchNormOptions {
  /** Clip for r = σ_B/σ to [1/rMax, rMax] (default 3). */
  rMax?: number;
  /** Clip for d = (μ_B − μ)/σ to [−dMax, dMax] (default 5). */
  dMax?: number;
}
export interface NormOptions {
  eps?: number;
}
export interface FrnOptions {
  /** A number, or a [1] tensor (learnable eps; |eps| is used). Default 1e-6. */
  eps?: number | Tensor;
}

/** [C] → [1, C, 1, …] so it broadcasts over x [N, C, …]. */
function perChannel(t: Tensor, rank: number): Tensor {
  return reshape(t, [1, t.shape[0]!, ...new Array<number>(rank - 2).fill(1)]);
}

/** Axes other than the channel axis. */
const nonChannelAxes = (rank: number) => [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];

function checkChannels(op: string, x: Tensor): number {
  checkRank(op, 'x', x, [2, 3, 4, 5], 'N, C, …');
  return x.shape[1]!;
}

/**
 * Frozen batch norm: y = (x − mean)/√(var + eps)·weight + bias, differentiable w.r.t. x, weight,
 * bias; with `activation: 'relu'` the ReLU runs in the same kernel (batchNormInferenceFused).
 */
export function batchNormInference(x: Tensor, mean: Tensor, variance: Tensor, weight: Tensor | undefined, bias: Tensor | undefined, eps: number, activation: FusedActivation = 'none'): Tensor {
  const fused = activation !== 'none';
  const inputs = { x, mean, variance, scale: weight, offset: bias };
  const [y] = (fused ? runKernel('batchNormInferenceFused', inputs, { eps, activation }) : runKernel('batchNormInference', inputs, { eps })) as [Tensor];
  const rank = x.rank;
  record('batchNorm', y, [x, weight, bias], [x, mean, variance, weight, fused ? y : undefined], (dy, [sx, sm, sv, sw, sy], needs) => {
    // relu'(z) = [y > 0]
    const dz = fused ? runKernel('reluBackward', { dy, x: sy! }, {})[0]! : dy;
    const invStd = perChannel(div(1, sqrt(add(sv!, eps))), rank);
    const axes = nonChannelAxes(rank);
    return [
      needs[0] ? mul(dz, sw ? mul(invStd, perChannel(sw, rank)) : invStd) : undefined,
      needs[1] ? sum(mul(dz, mul(sub(sx!, perChannel(sm!, rank)), invStd)), axes) : undefined,
      needs[2] ? sum(dz, axes) : undefined,
    ];
  });
  return y;
}

/** Normalises with batch statistics and returns them (biased variance); differentiable w.r.t. x, weight, bias. */
function batchNormTraining(op: string, x: Tensor, weight: Tensor | undefined, bias: Tensor | undefined, eps: number): [Tensor, Tensor, Tensor] {
  const count = x.size / x.shape[1]!;
  if (count <= 1) {
    throw new HypercolumnError(`${op}: x expected more than 1 value per channel in training mode, got shape ${shapeText(x.shape)}`, op, 'x');
  }
  const [y, mean, variance] = runKernel('batchNormTraining', { x, scale: weight, offset: bias }, { eps }) as [Tensor, Tensor, Tensor];
  record(op, y!, [x, weight, bias], [x, mean, variance, weight], (dy, [sx, sm, sv, sw]) =>
    runKernel('batchNormBackward', { dy, x: sx!, mean: sm!, variance: sv!, scale: sw }, { eps }),
  );
  return [y!, mean!, variance!];
}

/** running ← (1 − momentum)·running + momentum·batch, in place (PyTorch; variance unbiased): one scaledAdd. */
function updateRunning(running: Tensor | undefined, batch: Tensor, momentum: number, correction = 1): void {
  if (!running) return;
  const [next] = runKernel('scaledAdd', { a: running, b: batch }, { alpha: 1 - momentum, beta: momentum * correction });
  running.assign(next!);
  next!.dispose();
}

interface CheckedBatchNorm {
  training: boolean;
  momentum: number;
  eps: number;
  weight?: Tensor;
  bias?: Tensor;
}

function checkBatchNormArgs(op: string, x: Tensor, runningMean: Tensor | null | undefined, runningVar: Tensor | null | undefined, weight: Tensor | null | undefined, bias: Tensor | null | undefined, options: BatchNormOptions, keys: readonly string[]): CheckedBatchNorm {
  const channels = checkChannels(op, x);
  const opts = checkOptions<BatchRenormOptions>(op, options, keys);
  const training = checkBoolean(op, 'training', opts.training ?? false);
  const momentum = checkInRange(op, 'momentum', opts.momentum ?? 0.1, 0, 1);
  const eps = checkFinite(op, 'eps', opts.eps ?? 1e-5, 0);
  checkOptionalShape(op, 'runningMean', runningMean, [channels]);
  checkOptionalShape(op, 'runningVar', runningVar, [channels]);
  // the statistics come as a pair: updating only the mean would silently desynchronise them
  if (!runningMean !== !runningVar) fail(op, runningMean ? 'runningVar' : 'runningMean', 'a [C] tensor when the other running statistic is given (both or neither)', runningMean ? runningVar : runningMean);
  if (!training && !runningMean) fail(op, 'runningMean', 'running statistics [C] in eval mode (training: false)', runningMean);
  // both are updated in place, one after the other: one tensor as both would take the variance's update over the mean's
  if (runningMean && runningMean === runningVar) throw new HypercolumnError(`${op}: runningVar expected a different tensor from runningMean, got the same tensor`, op, 'runningVar');
  checkSameBackend(op, 'x', x, { runningMean, runningVar, weight, bias });
  return {
    training, momentum, eps,
    weight: checkOptionalShape(op, 'weight', weight, [channels]),
    bias: checkOptionalShape(op, 'bias', bias, [channels]),
  };
}

/**
 * Batch normalization over x [N, C, …] (PyTorch F.batch_norm). With `training: true` it uses batch
 * statistics and updates runningMean/runningVar in place; otherwise the frozen running statistics.
 */
export const batchNorm = guarded('batchNorm', function batchNorm(x: Tensor, runningMean: Tensor | null | undefined, runningVar: Tensor | null | undefined, weight?: Tensor | null, bias?: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const op = 'batchNorm';
  const a = checkBatchNormArgs(op, x, runningMean, runningVar, weight, bias, options, ['training', 'momentum', 'eps']);
  if (!a.training) return batchNormInference(x, runningMean!, runningVar!, a.weight, a.bias, a.eps);
  const [y, mean, variance] = batchNormTraining(op, x, a.weight, a.bias, a.eps);
  const count = x.size / x.shape[1]!;
  updateRunning(runningMean ?? undefined, mean, a.momentum);
  updateRunning(runningVar ?? undefined, variance, a.momentum, count / (count - 1));
  mean.dispose();
  variance.dispose();
  return y;
});

/**
 * Batch renormalization (Ioffe 2017). Training: x̂·r + d with r = σ_B/σ clipped to [1/rMax, rMax],
 * d = (μ_B − μ)/σ clipped to [−dMax, dMax], both constants for backprop; then the affine; running
 * statistics updated as in batch norm. Eval: batch norm with the running statistics.
 */
export const batchRenorm = guarded('batchRenorm', function batchRenorm(x: Tensor, runningMean: Tensor, runningVar: Tensor, weight?: Tensor | null, bias?: Tensor | null, options: BatchRenormOptions = {}): Tensor {
  const op = 'batchRenorm';
  checkTensor(op, 'runningMean', runningMean);
  checkTensor(op, 'runningVar', runningVar);
  const a = checkBatchNormArgs(op, x, runningMean, runningVar, weight, bias, options, ['training', 'momentum', 'eps', 'rMax', 'dMax']);
  const rMax = checkFinite(op, 'rMax', (options as BatchRenormOptions).rMax ?? 3, 1);
  const dMax = checkFinite(op, 'dMax', (options as BatchRenormOptions).dMax ?? 5, 0);
  if (!a.training) return batchNormInference(x, runningMean, runningVar, a.weight, a.bias, a.eps);
  const rank = x.rank;
  const count = x.size / x.shape[1]!;
  // every intermediate is disposed by the scope; the graph keeps what backward needs
  return scope(() => {
    const [normalized, mean, variance] = batchNormTraining(op, x, undefined, undefined, a.eps);
    const [r, d] = noGrad(() => {
      // σ_B/σ with both variances scaled by 1/eps when eps > 1: an eps past float32's range would
      // make both σ Inf, and their quotient NaN, where the ratio itself is 1
      const scale = Math.max(1, a.eps);
      const scaledSigma = (v: Tensor) => sqrt(add(scale === 1 ? v : mul(v, 1 / scale), a.eps / scale));
      const r = maximum(minimum(div(scaledSigma(variance), scaledSigma(runningVar)), rMax), 1 / rMax);
      const d = maximum(minimum(div(sub(mean, runningMean), sqrt(add(runningVar, a.eps))), dMax), -dMax);
      return [perChannel(r, rank), perChannel(d, rank)];
    });
    let y = add(mul(normalized, r), d);
    if (a.weight) y = mul(y, perChannel(a.weight, rank));
    if (a.bias) y = add(y, perChannel(a.bias, rank));
    updateRunning(runningMean, mean, a.momentum);
    updateRunning(runningVar, variance, a.momentum, count / (count - 1));
    return y;
  });
});

/** Layer normalization over the trailing `normalizedShape` axes, elementwise affine of that shape. */
export const layerNorm = guarded('layerNorm', function layerNorm(x: Tensor, normalizedShape: number | number[], weight?: Tensor | null, bias?: Tensor | null, options: NormOptions = {}): Tensor {
  const op = 'layerNorm';
  checkTensor(op, 'x', x);
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0) fail(op, 'normalizedShape', 'a positive integer or a non-empty array', normalizedShape);
  Array.from(shape, (s, i) => checkPositiveInt(op, `normalizedShape[${i}]`, s));
  const trailing = x.shape.slice(x.rank - shape.length);
  if (shape.length > x.rank || trailing.some((s, i) => s !== shape[i])) {
    throw new HypercolumnError(`${op}: normalizedShape expected the trailing axes of x ${shapeText(x.shape)}, got ${shapeText(shape)}`, op, 'normalizedShape');
  }
  const eps = checkFinite(op, 'eps', checkOptions<NormOptions>(op, options, ['eps']).eps ?? 1e-5, 0);
  const w = checkOptionalShape(op, 'weight', weight, shape);
  const b = checkOptionalShape(op, 'bias', bias, shape);
  const rowSize = shape.reduce((p, s) => p * s, 1);
  const attrs = { rowSize, eps };
  const [y, mean, variance] = runKernel(op, { x, weight: w, bias: b }, attrs) as [Tensor, Tensor, Tensor];
  record(op, y!, [x, w, b], [x, mean, variance, w], (dy, [sx, sm, sv, sw]) => {
    const [dx, dw, db] = runKernel('layerNormBackward', { dy, x: sx!, mean: sm!, variance: sv!, weight: sw }, attrs);
    return [dx, reshape(dw!, shape), reshape(db!, shape)];
  });
  mean!.dispose();
  variance!.dispose();
  return y!;
});

function groupNormCore(op: string, x: Tensor, numGroups: number, weight: Tensor | undefined, bias: Tensor | undefined, eps: number): Tensor {
  const attrs = { numGroups, eps };
  const [y, mean, variance] = runKernel('groupNorm', { x, weight, bias }, attrs) as [Tensor, Tensor, Tensor];
  record(op, y!, [x, weight, bias], [x, mean, variance, weight], (dy, [sx, sm, sv, sw]) =>
    runKernel('groupNormBackward', { dy, x: sx!, mean: sm!, variance: sv!, weight: sw }, attrs),
  );
  mean!.dispose();
  variance!.dispose();
  return y!;
}

function checkAffine(op: string, x: Tensor, weight: Tensor | null | undefined, bias: Tensor | null | undefined, options: unknown): [Tensor | undefined, Tensor | undefined, number] {
  const channels = x.shape[1]!;
  const eps = checkFinite(op, 'eps', checkOptions<NormOptions>(op, options, ['eps']).eps ?? 1e-5, 0);
  return [checkOptionalShape(op, 'weight', weight, [channels]), checkOptionalShape(op, 'bias', bias, [channels]), eps];
}

/** Group normalization of x [N, C, …]: statistics per (n, group), affine per channel. */
export const groupNorm = guarded('groupNorm', function groupNorm(x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, options: NormOptions = {}): Tensor {
  const op = 'groupNorm';
  const channels = checkChannels(op, x);
  checkPositiveInt(op, 'numGroups', numGroups);
  if (channels % numGroups !== 0) fail(op, 'numGroups', `a divisor of the channels (${channels})`, numGroups);
  const [w, b, eps] = checkAffine(op, x, weight, bias, options);
  return groupNormCore(op, x, numGroups, w, b, eps);
});

/** Instance normalization of x [N, C, …]: statistics per (n, c); affine only if weight/bias given. */
export const instanceNorm = guarded('instanceNorm', function instanceNorm(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, options: NormOptions = {}): Tensor {
  const op = 'instanceNorm';
  checkRank(op, 'x', x, [3, 4, 5], 'N, C, …spatial');
  if (x.size / (x.shape[0]! * x.shape[1]!) <= 1) {
    throw new HypercolumnError(`${op}: x expected more than 1 spatial element per channel, got shape ${shapeText(x.shape)}`, op, 'x');
  }
  const [w, b, eps] = checkAffine(op, x, weight, bias, options);
  return groupNormCore(op, x, x.shape[1]!, w, b, eps);
});

/**
 * Filter response normalization (FRN alone): ν² = mean(x²) over spatial per (n, c),
 * y = weight·x/√(ν² + |eps|) + bias. `eps` may be a [1] tensor with requiresGrad (learnable).
 */
export const frn = guarded('frn', function frn(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, options: FrnOptions = {}): Tensor {
  const op = 'frn';
  checkRank(op, 'x', x, [3, 4, 5], 'N, C, …spatial');
  const opts = checkOptions<FrnOptions>(op, options, ['eps']);
  const channels = x.shape[1]!;
  const w = checkOptionalShape(op, 'weight', weight, [channels]);
  const b = checkOptionalShape(op, 'bias', bias, [channels]);
  const epsOption = opts.eps ?? 1e-6;
  // a negative eps is valid (|eps| is used, so a learned eps may cross zero); only non-finite is an error
  const eps = epsOption instanceof Tensor ? checkShape(op, 'eps', epsOption, [1]) : constantLike(x, checkFinite(op, 'eps', epsOption), [1]);
  const [y, nu2] = runKernel(op, { x, eps, weight: w, bias: b }, {}) as [Tensor, Tensor];
  record(op, y!, [x, w, b, eps], [x, nu2, eps, w], (dy, [sx, sn, se, sw]) =>
    runKernel('frnBackward', { dy, x: sx!, nu2: sn!, eps: se!, weight: sw }, {}),
  );
  nu2!.dispose();
  if (eps !== epsOption) eps.dispose();
  return y!;
});

/**
 * FRN then TLU in one kernel (frnTlu), for inference: nothing is recorded, so the caller uses it only
 * where no gradient is needed (FilterResponseNorm2d under noGrad or with frozen parameters).
 */
export function frnTluInference(x: Tensor, weight: Tensor, bias: Tensor, tau: Tensor, eps: number | Tensor): Tensor {
  const op = 'frn';
  checkRank(op, 'x', x, [3, 4, 5], 'N, C, …spatial');
  const epsTensor = eps instanceof Tensor ? checkShape(op, 'eps', eps, [1]) : constantLike(x, checkFinite(op, 'eps', eps, 0), [1]);
  const [y] = runKernel('frnTlu', { x, eps: epsTensor, tau, weight, bias }, {}) as [Tensor];
  if (epsTensor !== eps) epsTensor.dispose();
  return y;
}

/** Thresholded linear unit: max(x, tau[c]) over x [N, C, …], tau [C] (learnable). */
export const tlu = guarded('tlu', function tlu(x: Tensor, tau: Tensor): Tensor {
  const op = 'tlu';
  const channels = checkChannels(op, x);
  checkShape(op, 'tau', tau, [channels]);
  const [y] = runKernel(op, { x, tau }, {}) as [Tensor];
  record(op, y, [x, tau], [x, tau], (dy, [sx, st]) => runKernel('tluBackward', { dy, x: sx!, tau: st! }, {}));
  return y;
});
