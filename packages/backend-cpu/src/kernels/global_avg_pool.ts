import type { CpuKernel } from '../backend.js';
import { sumRange } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/** Mean over every spatial axis per (n, c): [N, C, ...spatial] → [N, C, 1, …, 1] (rank kept). */
export const globalAvgPool: CpuKernel<'globalAvgPool'> = ({ x }) => {
  const shape = x.shape;
  const S = spatialSize(shape);
  const planes = shape[0]! * shape[1]!;
  const xd = x.data;
  const y = new Float32Array(planes);
  for (let p = 0, o = 0; p < planes; p++, o += S) y[p] = sumRange(xd, o, o + S) / S;
  return y;
};
