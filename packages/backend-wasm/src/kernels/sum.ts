import type { WasmKernel } from '../backend.js';
import { numel, UNARY, unaryOp } from '../ops.js';
import { collapse, contiguousStrides } from '../strided.js';

/** y zeroed, then every x row added into its y row (serial: rows share outputs). */
export const sum: WasmKernel<'sum'> = ({ x }, { axes, outShape }, be) => {
  const y = unaryOp(be, UNARY.fill, null, numel(outShape), 0);
  const ys = contiguousStrides(outShape).map((s, i) => (axes.includes(i) ? 0 : s));
  const c = collapse(x.shape, [contiguousStrides(x.shape), ys]);
  const dims = c.dims.length ? c.dims : [1];
  const yst = c.dims.length ? c.strides[1]! : [0];
  // more than 4 axes after collapsing: loop the leading ones here
  const lead = Math.max(0, dims.length - 4);
  const td = [...new Array<number>(Math.max(0, 4 - dims.length)).fill(1), ...dims.slice(lead)];
  const ts = [...new Array<number>(Math.max(0, 4 - dims.length)).fill(0), ...yst.slice(lead)];
  const inner = td[0]! * td[1]! * td[2]! * td[3]!;
  const outer = numel(dims.slice(0, lead));
  for (let o = 0; o < outer; o++) {
    let rem = o, yo = 0;
    for (let k = lead - 1; k >= 0; k--) {
      yo += (rem % dims[k]!) * yst[k]!;
      rem = Math.floor(rem / dims[k]!);
    }
    be.call('reduceAdd', [x.data.ptr + o * inner * 4, y.ptr + yo * 4, ...td, ...ts]);
  }
  return y;
};
