import type { WasmKernel } from '../backend.js';
import { planes } from '../ops.js';

export const globalAvgPool: WasmKernel<'globalAvgPool'> = ({ x }, _attrs, be) => {
  const { N, C, S } = planes(x.shape);
  const y = be.alloc(N * C);
  be.exec('globalAvgPool', [x.data.ptr, y.ptr, S], N * C, S);
  return y;
};
