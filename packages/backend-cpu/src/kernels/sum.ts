import type { CpuKernel } from '../backend.js';
import { sumRange } from '../util/stats.js';

/**
 * Sum over attrs.axes (sorted, unique) into attrs.outShape (reduced axes kept as 1), float64
 * accumulation. Size-1 dims are dropped and adjacent dims of the same kind (reduced / kept)
 * merged, so x is read once in memory order as contiguous runs: a reduced innermost run is summed
 * in place (e.g. bias gradients over [N, ·, H·W]), a kept innermost run is added lane-wise into the
 * accumulator row (e.g. reductions over the batch axis).
 */
export const sum: CpuKernel<'sum'> = ({ x }, { axes, outShape }) => {
  const shape = x.shape, xd = x.data;
  let outSize = 1;
  for (let i = 0; i < outShape.length; i++) outSize *= outShape[i]!;
  // Merged dims, innermost first: size, whether reduced.
  const sizes: number[] = [];
  const reduced: boolean[] = [];
  for (let j = shape.length - 1; j >= 0; j--) {
    const n = shape[j]!;
    if (n === 1) continue;
    const r = axes.includes(j);
    const last = sizes.length - 1;
    if (last >= 0 && reduced[last] === r) sizes[last]! *= n;
    else {
      sizes.push(n);
      reduced.push(r);
    }
  }
  if (!reduced.includes(true)) return xd.slice();
  const acc = new Float64Array(outSize);
  const inner = sizes[0]!, innerReduced = reduced[0]!;
  // Outer dims (outermost first) with their output strides (0 for reduced dims).
  const dims = sizes.slice(1).reverse();
  const dimReduced = reduced.slice(1).reverse();
  const nd = dims.length;
  const outStride = new Array<number>(nd);
  for (let d = nd - 1, s = innerReduced ? 1 : inner; d >= 0; d--) {
    outStride[d] = dimReduced[d] ? 0 : s;
    if (!dimReduced[d]) s *= dims[d]!;
  }
  const count = new Int32Array(nd);
  let oo = 0;
  for (let xo = 0; xo < xd.length; xo += inner) {
    if (innerReduced) acc[oo]! += sumRange(xd, xo, xo + inner);
    else for (let i = 0; i < inner; i++) acc[oo + i]! += xd[xo + i]!;
    for (let d = nd - 1; d >= 0; d--) {
      oo += outStride[d]!;
      if (++count[d]! < dims[d]!) break;
      oo -= outStride[d]! * dims[d]!;
      count[d] = 0;
    }
  }
  return Float32Array.from(acc);
};
