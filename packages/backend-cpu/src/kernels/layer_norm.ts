import type { CpuKernel } from '../backend.js';
import { affineRange, segmentsMeanVar } from '../util/stats.js';

/**
 * Normalizes each contiguous row of `rowSize` elements (two-pass float64 statistics);
 * weight/bias apply elementwise along the row. Outputs y, mean [rows], biased variance [rows].
 */
export const layerNorm: CpuKernel<'layerNorm'> = ({ x, weight, bias }, { rowSize, eps }) => {
  const xd = x.data;
  const L = rowSize;
  const rows = xd.length / L;
  const wd = weight?.data, bd = bias?.data;
  const y = new Float32Array(xd.length);
  const mean = new Float32Array(rows), variance = new Float32Array(rows);
  const st = new Float64Array(2);
  for (let r = 0, o = 0; r < rows; r++, o += L) {
    segmentsMeanVar(xd, o, 1, L, L, st);
    const mu = st[0]!, v = st[1]!;
    mean[r] = mu;
    variance[r] = v;
    const inv = 1 / Math.sqrt(v + eps);
    if (wd === undefined && bd === undefined) {
      affineRange(xd, y, o, o + L, inv, -mu * inv);
    } else if (wd !== undefined && bd !== undefined) {
      // one loop per affine combination: no per-element tests of loop invariants
      const sh = -mu * inv;
      for (let j = 0; j < L; j++) y[o + j] = (xd[o + j]! * inv + sh) * wd[j]! + bd[j]!;
    } else if (wd !== undefined) {
      const sh = -mu * inv;
      for (let j = 0; j < L; j++) y[o + j] = (xd[o + j]! * inv + sh) * wd[j]!;
    } else {
      const sh = -mu * inv;
      for (let j = 0; j < L; j++) y[o + j] = xd[o + j]! * inv + sh + bd![j]!;
    }
  }
  return [
    y,
    mean,
    variance,
  ];
};
