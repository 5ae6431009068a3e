import type { CpuKernel } from '../backend.js';
import { affineRange } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/** y = (x − mean[c]) / sqrt(variance[c] + eps) · scale[c] + offset[c], folded into y = x·a[c] + b[c]. */
export const batchNormInference: CpuKernel<'batchNormInference'> = ({ x, mean, variance, scale, offset }, { eps }) => {
  const N = x.shape[0]!, C = x.shape[1]!, S = spatialSize(x.shape);
  const xd = x.data, md = mean.data, vd = variance.data;
  const sd = scale?.data, od = offset?.data;
  const y = new Float32Array(xd.length);
  for (let c = 0; c < C; c++) {
    const a = (sd ? sd[c]! : 1) / Math.sqrt(vd[c]! + eps);
    const b = (od ? od[c]! : 0) - md[c]! * a;
    for (let n = 0, o = c * S; n < N; n++, o += C * S) affineRange(xd, y, o, o + S, a, b);
  }
  return { data: y, shape: x.shape.slice() };
};
