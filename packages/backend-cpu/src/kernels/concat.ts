import type { CpuKernel } from '../backend.js';

/** [outer, aSize, inner] ++ [outer, bSize, inner] along the middle axis: two block copies per outer index. */
export const concat: CpuKernel<'concat'> = ({ a, b }, { outer, aSize, bSize, inner }) => {
  const ad = a.data, bd = b.data;
  const aRun = aSize * inner, bRun = bSize * inner;
  const y = new Float32Array(outer * (aRun + bRun));
  for (let o = 0, yo = 0; o < outer; o++) {
    y.set(ad.subarray(o * aRun, (o + 1) * aRun), yo);
    yo += aRun;
    y.set(bd.subarray(o * bRun, (o + 1) * bRun), yo);
    yo += bRun;
  }
  return y;
};
