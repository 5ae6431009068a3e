import type { WasmKernel } from '../backend.js';

export const maxPool2d: WasmKernel<'maxPool2d'> = ({ x }, { geometry: g }, be) => {
  const y = be.alloc(g.batch * g.channels * g.outHeight * g.outWidth);
  be.exec('maxPool', [
    x.data.ptr, y.ptr, 0, 0, g.inHeight, g.inWidth, g.outHeight, g.outWidth, g.kernelHeight, g.kernelWidth,
    g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft,
  ], g.batch * g.channels, g.outHeight * g.outWidth * g.kernelHeight * g.kernelWidth);
  return y;
};
