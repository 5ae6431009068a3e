import type { WasmKernel } from '../backend.js';

/** Recomputes each window's argmax with the forward's scan and adds dy there. */
export const maxPool2dBackward: WasmKernel<'maxPool2dBackward'> = ({ dy, x }, { geometry: g }, be) => {
  const dx = be.alloc(g.batch * g.channels * g.inHeight * g.inWidth);
  be.exec('maxPool', [
    x.data.ptr, 0, dy.data.ptr, dx.ptr, g.inHeight, g.inWidth, g.outHeight, g.outWidth, g.kernelHeight, g.kernelWidth,
    g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft,
  ], g.batch * g.channels, g.outHeight * g.outWidth * g.kernelHeight * g.kernelWidth);
  return dx;
};
