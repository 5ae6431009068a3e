import type { CpuKernel } from '../backend.js';

/** x[outer, begin : begin + size, inner] of x seen as [outer, axisSize, inner]: one block copy per outer index. */
export const slice: CpuKernel<'slice'> = ({ x }, { outer, axisSize, inner, begin, size }) => {
  const xd = x.data, run = size * inner;
  const y = new Float32Array(outer * run);
  for (let o = 0; o < outer; o++) {
    const from = (o * axisSize + begin) * inner;
    y.set(xd.subarray(from, from + run), o * run);
  }
  return y;
};
