import type { CpuKernel } from '../backend.js';
import { spatialSize } from '../util/shape.js';

/**
 * TLU gradient. Choice at ties (x == tau), kept simple and deterministic rather than PyTorch's
 * torch.maximum half/half split: the gradient goes to x only where x > tau, and to tau otherwise.
 *   dx = dy where x > tau, else 0;   dtau[c] = Σ dy where x ≤ tau (float64 accumulation).
 */
export const tluBackward: CpuKernel<'tluBackward'> = ({ dy, x, tau }) => {
  const C = x.shape[1]!, S = spatialSize(x.shape);
  const planes = x.shape[0]! * C;
  const xd = x.data, dyd = dy.data, td = tau.data;
  const dx = new Float32Array(xd.length);
  const dtau = new Float64Array(C);
  for (let p = 0, o = 0; p < planes; p++) {
    const t = td[p % C]!;
    let s = 0;
    for (const e = o + S; o < e; o++) {
      const d = dyd[o]!;
      if (xd[o]! > t) dx[o] = d;
      else s += d;
    }
    dtau[p % C]! += s;
  }
  return [
    dx,
    Float32Array.from(dtau),
  ];
};
