import type { WasmKernel } from '../backend.js';

export const slice: WasmKernel<'slice'> = ({ x }, { outer, axisSize, inner, begin, size }, be) => {
  const y = be.alloc(outer * size * inner);
  be.exec('copyBlocks', [x.data.ptr + begin * inner * 4, y.ptr, size * inner * 4, axisSize * inner * 4, size * inner * 4], outer, size * inner);
  return y;
};
