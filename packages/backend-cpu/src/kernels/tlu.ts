import type { CpuKernel } from '../backend.js';
import { spatialSize } from '../util/shape.js';

/** TLU: y = max(x, tau[c]) on x [N, C, ...spatial]; a NaN in x propagates (torch.maximum). */
export const tlu: CpuKernel<'tlu'> = ({ x, tau }) => {
  const C = x.shape[1]!, S = spatialSize(x.shape);
  const planes = x.shape[0]! * C;
  const xd = x.data, td = tau.data;
  const y = new Float32Array(xd.length);
  for (let p = 0, o = 0; p < planes; p++) {
    const t = td[p % C]!;
    for (const e = o + S; o < e; o++) {
      const v = xd[o]!;
      y[o] = v > t || v !== v ? v : t;
    }
  }
  return y;
};
