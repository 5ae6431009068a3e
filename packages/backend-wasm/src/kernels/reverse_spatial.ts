import type { WasmKernel } from '../backend.js';
import { numel } from '../ops.js';

export const reverseSpatial: WasmKernel<'reverseSpatial'> = ({ x }, _attrs, be) => {
  const H = x.shape.length >= 2 ? x.shape[x.shape.length - 2]! : 1, W = x.shape[x.shape.length - 1]!;
  const n = numel(x.shape);
  const y = be.alloc(n);
  be.exec('reverseSpatial', [x.data.ptr, y.ptr, H, W], n / (H * W), H * W);
  return y;
};
