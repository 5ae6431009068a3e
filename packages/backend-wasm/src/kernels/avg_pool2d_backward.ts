import type { WasmKernel } from '../backend.js';

export const avgPool2dBackward: WasmKernel<'avgPool2dBackward'> = ({ dy }, { geometry: g, countIncludePad }, be) => {
  const dx = be.alloc(g.batch * g.channels * g.inHeight * g.inWidth);
  be.exec('avgPool', [
    0, 0, dy.data.ptr, dx.ptr, g.inHeight, g.inWidth, g.outHeight, g.outWidth, g.kernelHeight, g.kernelWidth,
    g.strideHeight, g.strideWidth, g.padTop, g.padBottom, g.padLeft, g.padRight, countIncludePad ? 1 : 0,
  ], g.batch * g.channels, g.outHeight * g.outWidth * g.kernelHeight * g.kernelWidth);
  return dx;
};
