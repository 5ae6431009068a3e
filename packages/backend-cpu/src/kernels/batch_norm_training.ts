import type { CpuKernel } from '../backend.js';
import { affineRange, segmentsMeanVar } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/**
 * Normalizes with the batch statistics of each channel (over N and spatial; two-pass, float64).
 * Outputs y, the batch mean [C] and the BIASED batch variance [C]; core derives the unbiased
 * variance for the running-stat update.
 */
export const batchNormTraining: CpuKernel<'batchNormTraining'> = ({ x, scale, offset }, { eps }) => {
  const N = x.shape[0]!, C = x.shape[1]!, S = spatialSize(x.shape);
  const xd = x.data;
  const sd = scale?.data, od = offset?.data;
  const y = new Float32Array(xd.length);
  const mean = new Float32Array(C), variance = new Float32Array(C);
  const st = new Float64Array(2);
  const planeStride = C * S;
  for (let c = 0; c < C; c++) {
    segmentsMeanVar(xd, c * S, N, planeStride, S, st);
    const mu = st[0]!, v = st[1]!;
    mean[c] = mu;
    variance[c] = v;
    const a = (sd ? sd[c]! : 1) / Math.sqrt(v + eps);
    const b = (od ? od[c]! : 0) - mu * a;
    for (let n = 0, o = c * S; n < N; n++, o += planeStride) affineRange(xd, y, o, o + S, a, b);
  }
  return [
    y,
    mean,
    variance,
  ];
};
