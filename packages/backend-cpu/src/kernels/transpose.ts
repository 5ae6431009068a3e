import type { CpuKernel } from '../backend.js';
import { stridesOf } from '../util/shape.js';

/** y.shape[i] = x.shape[perm[i]]: walks y in memory order with an odometer over x's strides. */
export const transpose: CpuKernel<'transpose'> = ({ x }, { perm }, _backend, { y: yShape }) => {
  const xd = x.data, rank = perm.length;
  const xStrides = stridesOf(x.shape);
  const step = perm.map((p) => xStrides[p]!);
  const y = new Float32Array(xd.length);
  const count = new Array<number>(rank).fill(0);
  let xi = 0;
  for (let yi = 0; yi < y.length; yi++) {
    y[yi] = xd[xi]!;
    for (let d = rank - 1; d >= 0; d--) {
      xi += step[d]!;
      if (++count[d]! < yShape[d]!) break;
      xi -= step[d]! * yShape[d]!;
      count[d] = 0;
    }
  }
  return y;
};
