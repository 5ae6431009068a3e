import type { WasmKernel } from '../backend.js';
import { planes } from '../ops.js';

export const tlu: WasmKernel<'tlu'> = ({ x, tau }, _attrs, be) => {
  const { N, C, S } = planes(x.shape);
  const y = be.alloc(N * C * S);
  be.exec('tlu', [x.data.ptr, y.ptr, tau.data.ptr, C, S], N * C, S);
  return y;
};
