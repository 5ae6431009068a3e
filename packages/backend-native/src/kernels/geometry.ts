import type { AxisAttrs, Conv2dGeometry, FusedActivation, Pool2dGeometry } from '@hypercolumn/core';

/** Conv geometry in the addon's attribute order (native/conv.cc readGeo). */
export function convAttrs(g: Conv2dGeometry): number[] {
  return [
    g.batch, g.inChannels, g.inHeight, g.inWidth, g.outChannels, g.groups, g.kernelHeight, g.kernelWidth,
    g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padBottom, g.padLeft, g.padRight,
    g.outHeight, g.outWidth,
  ];
}

/** Pool geometry in the addon's attribute order (native/pooling.cc readPool). */
export function poolAttrs(g: Pool2dGeometry): number[] {
  return [
    g.batch, g.channels, g.inHeight, g.inWidth, g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth,
    g.dilationHeight, g.dilationWidth, g.padTop, g.padBottom, g.padLeft, g.padRight, g.outHeight, g.outWidth,
  ];
}

export const activationCode = (a: FusedActivation): number => (a === 'relu' ? 1 : 0);

/** [outer, axisSize, inner] (native/dense.cc readAxis). */
export const axisAttrs = (a: AxisAttrs): number[] => [a.outer, a.axisSize, a.inner];
