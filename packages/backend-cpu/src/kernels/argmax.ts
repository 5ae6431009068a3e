import type { CpuKernel } from '../backend.js';

/**
 * Index of the largest value along the axis of x seen as [outer, axisSize, inner], as float32; the
 * first one on ties, and the first NaN if there is one (NaN counts as largest, as torch.argmax).
 */
export const argmax: CpuKernel<'argmax'> = ({ x }, { outer, axisSize, inner }) => {
  const xd = x.data;
  const y = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * axisSize * inner + j;
      let best = 0, bestValue = xd[base]!;
      for (let k = 1; k < axisSize && bestValue === bestValue; k++) {
        const v = xd[base + k * inner]!;
        if (v > bestValue || v !== v) {
          best = k;
          bestValue = v;
        }
      }
      y[o * inner + j] = best;
    }
  }
  return y;
};
