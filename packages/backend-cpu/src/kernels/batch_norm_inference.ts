import type { CpuKernel } from '../backend.js';
import { spatialSize } from '../util/shape.js';

/**
 * y = (x − mean[c]) / sqrt(variance[c] + eps) · scale[c] + offset[c], folded into y = x·a[c] + b[c]
 * (a, b precomputed per channel in float64), then one pass over x in memory order: a tight loop per
 * channel plane, its own (monomorphic) loop rather than the shared range helper.
 */
export const batchNormInference: CpuKernel<'batchNormInference'> = ({ x, mean, variance, scale, offset }, { eps }) => {
  const N = x.shape[0]!, C = x.shape[1]!, S = spatialSize(x.shape);
  const xd = x.data, md = mean.data, vd = variance.data;
  const sd = scale?.data, od = offset?.data;
  const y = new Float32Array(xd.length);
  const A = new Float64Array(C), B = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const a = (sd ? sd[c]! : 1) / Math.sqrt(vd[c]! + eps);
    A[c] = a;
    B[c] = (od ? od[c]! : 0) - md[c]! * a;
  }
  for (let n = 0, o = 0; n < N; n++) {
    for (let c = 0; c < C; c++, o += S) {
      const a = A[c]!, b = B[c]!;
      const e = o + S;
      let i = o;
      for (const e4 = e - 3; i < e4; i += 4) {
        y[i] = xd[i]! * a + b;
        y[i + 1] = xd[i + 1]! * a + b;
        y[i + 2] = xd[i + 2]! * a + b;
        y[i + 3] = xd[i + 3]! * a + b;
      }
      for (; i < e; i++) y[i] = xd[i]! * a + b;
    }
  }
  return y;
};
