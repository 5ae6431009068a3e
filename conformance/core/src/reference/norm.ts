/**
 * Normalization layers from the definitions (DESIGN §3), float64, two-pass statistics.
 * Layout NCHW (any number of spatial axes); per-channel parameters are [C].
 */
import { type F64, absOf, clone, f64, numel } from './array.js';

/** A reference output with its tolerance magnitude m (DESIGN §3: atol = 1e-5·m). */
export interface WithMagnitude extends F64 {
  magnitude: F64;
}

export interface BatchNormOpts {
  training?: boolean;
  momentum?: number;
  eps?: number;
}

export interface BatchNormResult {
  y: WithMagnitude;
  /** Running statistics after the call (the inputs are not mutated). */
  runningMean: WithMagnitude;
  runningVar: WithMagnitude;
}

function dims(x: F64): { N: number; C: number; S: number } {
  const N = x.shape[0];
  const C = x.shape[1];
  return { N, C, S: numel(x.shape) / (N * C) };
}

/** Mean and biased variance per channel over (N, spatial), and mean |x| (for magnitudes). */
export function channelStats(x: F64): { mean: Float64Array; variance: Float64Array; meanAbs: Float64Array; count: number } {
  const { N, C, S } = dims(x);
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  const meanAbs = new Float64Array(C);
  const count = N * S;
  for (let c = 0; c < C; c++) {
    let s = 0;
    let sa = 0;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < S; k++) {
        s += x.data[(n * C + c) * S + k];
        sa += Math.abs(x.data[(n * C + c) * S + k]);
      }
    const m = s / count;
    let v = 0;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < S; k++) {
        const d = x.data[(n * C + c) * S + k] - m;
        v += d * d;
      }
    mean[c] = m;
    meanAbs[c] = sa / count;
    variance[c] = v / count;
  }
  return { mean, variance, meanAbs, count };
}

/**
 * Per channel: y = γ((x − μ)·inv·r + d) + β, with its magnitude |γ|((|x| + |μ|)·inv·r + |x̂|·r + |d|) + |β|.
 */
function channelAffine(x: F64, mean: ArrayLike<number>, inv: ArrayLike<number>, weight: F64 | undefined, bias: F64 | undefined, r?: ArrayLike<number>, d?: ArrayLike<number>): WithMagnitude {
  const { N, C, S } = dims(x);
  const y = f64(x.shape);
  const mag = f64(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const ga = weight ? weight.data[c] : 1;
      const be = bias ? bias.data[c] : 0;
      const rc = r ? r[c] : 1;
      const dc = d ? d[c] : 0;
      for (let k = 0; k < S; k++) {
        const i = (n * C + c) * S + k;
        const xh = (x.data[i] - mean[c]) * inv[c];
        y.data[i] = ga * (xh * rc + dc) + be;
        mag.data[i] = Math.abs(ga) * ((Math.abs(x.data[i]) + Math.abs(mean[c])) * inv[c] * rc + Math.abs(xh * rc) + Math.abs(dc)) + Math.abs(be);
      }
    }
  return { ...y, magnitude: mag };
}

function withAbsMagnitude(a: F64): WithMagnitude {
  return { ...clone(a), magnitude: absOf(a) };
}

export function batchNorm(x: F64, runningMean: F64, runningVar: F64, weight?: F64, bias?: F64, opts: BatchNormOpts = {}): BatchNormResult {
  return batchRenorm(x, runningMean, runningVar, weight, bias, { ...opts, rMax: 1, dMax: 0, plainBatchNorm: true });
}

export interface BatchRenormOpts extends BatchNormOpts {
  rMax?: number;
  dMax?: number;
  /** Hold r and d at these values (gradient checks: r, d are constants in backward). */
  fixed?: { r: ArrayLike<number>; d: ArrayLike<number> };
  /** Internal: plain batch norm (r = 1, d = 0). */
  plainBatchNorm?: boolean;
}

/** r = clip(σB/σ, 1/rMax, rMax), d = clip((μB − μ)/σ, −dMax, dMax) with σB = sqrt(varB + eps), σ = sqrt(runningVar + eps). */
export function renormCorrection(x: F64, runningMean: F64, runningVar: F64, opts: BatchRenormOpts): { r: Float64Array; d: Float64Array } {
  const eps = opts.eps ?? 1e-5;
  const rMax = opts.rMax ?? 3;
  const dMax = opts.dMax ?? 5;
  const { mean, variance } = channelStats(x);
  const C = mean.length;
  const r = new Float64Array(C);
  const d = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const sigma = Math.sqrt(runningVar.data[c] + eps);
    const sigmaB = Math.sqrt(variance[c] + eps);
    r[c] = Math.min(Math.max(sigmaB / sigma, 1 / rMax), rMax);
    d[c] = Math.min(Math.max((mean[c] - runningMean.data[c]) / sigma, -dMax), dMax);
  }
  return { r, d };
}

/**
 * Batch renormalization (Ioffe 2017). Training: y = γ((x − μB)/σB · r + d) + β, running stats
 * updated as batch norm (momentum, unbiased variance); eval: batch norm with the running stats.
 */
export function batchRenorm(x: F64, runningMean: F64, runningVar: F64, weight?: F64, bias?: F64, opts: BatchRenormOpts = {}): BatchNormResult {
  const C = x.shape[1];
  const eps = opts.eps ?? 1e-5;
  const momentum = opts.momentum ?? 0.1;
  if (!opts.training) {
    const inv = Array.from(runningVar.data, (v) => 1 / Math.sqrt(v + eps));
    return { y: channelAffine(x, runningMean.data, inv, weight, bias), runningMean: withAbsMagnitude(runningMean), runningVar: withAbsMagnitude(runningVar) };
  }
  const { mean, variance, meanAbs, count } = channelStats(x);
  const inv = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  const corr = opts.plainBatchNorm ? undefined : (opts.fixed ?? renormCorrection(x, runningMean, runningVar, opts));
  const y = channelAffine(x, mean, inv, weight, bias, corr?.r, corr?.d);
  const rm = f64([C]);
  const rv = f64([C]);
  const rmMag = f64([C]);
  const rvMag = f64([C]);
  const bessel = count > 1 ? count / (count - 1) : 1;
  for (let c = 0; c < C; c++) {
    rm.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean[c];
    rv.data[c] = (1 - momentum) * runningVar.data[c] + momentum * variance[c] * bessel;
    rmMag.data[c] = (1 - momentum) * Math.abs(runningMean.data[c]) + momentum * meanAbs[c];
    rvMag.data[c] = (1 - momentum) * Math.abs(runningVar.data[c]) + momentum * (meanAbs[c] + Math.abs(mean[c])) ** 2 * bessel;
  }
  return { y, runningMean: { ...rm, magnitude: rmMag }, runningVar: { ...rv, magnitude: rvMag } };
}

/**
 * Normalizes contiguous blocks of `block` elements (stats per block), then applies the affine
 * `scale(i)·v + shift(i)`. Every norm below is this with a different block and affine. Also returns
 * the per-element magnitude for the tolerance: |γ|((|x| + |μ|)/σ + |x̂|) + |β| (the terms whose float32
 * rounding reaches the output).
 */
function normalizeBlocks(x: F64, block: number, eps: number, scale: (i: number) => number, shift: (i: number) => number): WithMagnitude {
  const y = f64(x.shape);
  const mag = f64(x.shape);
  const blocks = x.data.length / block;
  for (let g = 0; g < blocks; g++) {
    let s = 0;
    for (let k = 0; k < block; k++) s += x.data[g * block + k];
    const m = s / block;
    let v = 0;
    for (let k = 0; k < block; k++) {
      const d = x.data[g * block + k] - m;
      v += d * d;
    }
    const inv = 1 / Math.sqrt(v / block + eps);
    for (let k = 0; k < block; k++) {
      const i = g * block + k;
      const xh = (x.data[i] - m) * inv;
      y.data[i] = scale(i) * xh + shift(i);
      mag.data[i] = Math.abs(scale(i)) * ((Math.abs(x.data[i]) + Math.abs(m)) * inv + Math.abs(xh)) + Math.abs(shift(i));
    }
  }
  return { ...y, magnitude: mag };
}

/** LayerNorm over the trailing `normalizedShape`; weight/bias have that shape (elementwise affine). */
export function layerNorm(x: F64, normalizedShape: readonly number[], weight?: F64, bias?: F64, opts: { eps?: number } = {}): WithMagnitude {
  const row = numel(normalizedShape);
  return normalizeBlocks(x, row, opts.eps ?? 1e-5, (i) => (weight ? weight.data[i % row] : 1), (i) => (bias ? bias.data[i % row] : 0));
}

/** GroupNorm: statistics per (n, group of C/G channels); affine per channel. */
export function groupNorm(x: F64, numGroups: number, weight?: F64, bias?: F64, opts: { eps?: number } = {}): WithMagnitude {
  const { C, S } = dims(x);
  const block = (C / numGroups) * S;
  const ch = (i: number) => Math.floor(i / S) % C;
  return normalizeBlocks(x, block, opts.eps ?? 1e-5, (i) => (weight ? weight.data[ch(i)] : 1), (i) => (bias ? bias.data[ch(i)] : 0));
}

/** InstanceNorm: statistics per (n, c); affine per channel when given. */
export function instanceNorm(x: F64, weight?: F64, bias?: F64, opts: { eps?: number } = {}): WithMagnitude {
  return groupNorm(x, x.shape[1], weight, bias, opts);
}

/** FRN: ν² = mean(x²) over spatial per (n, c); y = γ x / sqrt(ν² + |eps|) + β. */
export function frn(x: F64, weight?: F64, bias?: F64, opts: { eps?: number } = {}): WithMagnitude {
  const { N, C, S } = dims(x);
  const eps = Math.abs(opts.eps ?? 1e-6);
  const y = f64(x.shape);
  const mag = f64(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let k = 0; k < S; k++) s += x.data[(n * C + c) * S + k] ** 2;
      const inv = 1 / Math.sqrt(s / S + eps);
      const ga = weight ? weight.data[c] : 1;
      const be = bias ? bias.data[c] : 0;
      for (let k = 0; k < S; k++) {
        const i = (n * C + c) * S + k;
        y.data[i] = ga * x.data[i] * inv + be;
        mag.data[i] = 2 * Math.abs(ga * x.data[i] * inv) + Math.abs(be);
      }
    }
  return { ...y, magnitude: mag };
}
