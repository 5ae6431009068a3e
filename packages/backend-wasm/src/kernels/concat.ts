import type { WasmKernel } from '../backend.js';

export const concat: WasmKernel<'concat'> = ({ a, b }, { outer, aSize, bSize, inner }, be) => {
  const row = (aSize + bSize) * inner * 4;
  const y = be.alloc(outer * (aSize + bSize) * inner);
  be.exec('copyBlocks', [a.data.ptr, y.ptr, aSize * inner * 4, aSize * inner * 4, row], outer, aSize * inner);
  be.exec('copyBlocks', [b.data.ptr, y.ptr + aSize * inner * 4, bSize * inner * 4, bSize * inner * 4, row], outer, bSize * inner);
  return y;
};
