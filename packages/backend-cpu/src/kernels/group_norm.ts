import type { CpuKernel } from '../backend.js';
import { affineRange, segmentsMeanVar } from '../util/stats.js';
import { spatialSize } from '../util/shape.js';

/**
 * Group norm on x [N, C, ...spatial]: statistics per (n, group of C/numGroups channels) — one
 * contiguous block — two-pass in float64; affine per channel. Outputs y, mean [N·G], biased
 * variance [N·G] (index n·G + g).
 */
export const groupNorm: CpuKernel<'groupNorm'> = ({ x, weight, bias }, { numGroups, eps }) => {
  const N = x.shape[0]!, C = x.shape[1]!, S = spatialSize(x.shape);
  const G = numGroups, Cg = C / G, blockLen = Cg * S;
  const xd = x.data, wd = weight?.data, bd = bias?.data;
  const y = new Float32Array(xd.length);
  const mean = new Float32Array(N * G), variance = new Float32Array(N * G);
  const st = new Float64Array(2);
  for (let ng = 0; ng < N * G; ng++) {
    const base = ng * blockLen;
    segmentsMeanVar(xd, base, 1, blockLen, blockLen, st);
    const mu = st[0]!, v = st[1]!;
    mean[ng] = mu;
    variance[ng] = v;
    const inv = 1 / Math.sqrt(v + eps);
    const c0 = (ng % G) * Cg;
    for (let ci = 0; ci < Cg; ci++) {
      const c = c0 + ci;
      const a = (wd ? wd[c]! : 1) * inv;
      const b = (bd ? bd[c]! : 0) - mu * a;
      const o = base + ci * S;
      affineRange(xd, y, o, o + S, a, b);
    }
  }
  return [
    y,
    mean,
    variance,
  ];
};
