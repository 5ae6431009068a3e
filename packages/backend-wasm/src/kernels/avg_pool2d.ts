import type { WasmKernel } from '../backend.js';

export const avgPool2d: WasmKernel<'avgPool2d'> = ({ x }, { geometry: g, countIncludePad }, be) => {
  const y = be.alloc(g.batch * g.channels * g.outHeight * g.outWidth);
  be.exec('avgPool', [
    x.data.ptr, y.ptr, 0, 0, g.inHeight, g.inWidth, g.outHeight, g.outWidth, g.kernelHeight, g.kernelWidth,
    g.strideHeight, g.strideWidth, g.padTop, g.padBottom, g.padLeft, g.padRight, countIncludePad ? 1 : 0,
  ], g.batch * g.channels, g.outHeight * g.outWidth * g.kernelHeight * g.kernelWidth);
  return y;
};
