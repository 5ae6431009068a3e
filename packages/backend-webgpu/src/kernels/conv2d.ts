import type { Conv2dGeometry, FusedActivation } from '@hypercolumn/core';
import type { GpuData, GpuKernel, WebGpuBackend } from '../backend.js';
import { directConv } from '../conv_direct.js';

/** Convolution (cross-correlation) with optional bias and activation: the direct vec4 kernel. */
export function convForward(
  gpu: WebGpuBackend, x: GpuData, w: GpuData, b: GpuData | undefined, g: Conv2dGeometry, activation: FusedActivation, op: string,
): GpuData {
  return directConv(gpu, op, {
    batch: g.batch, inC: g.inChannels, inH: g.inHeight, inW: g.inWidth, outC: g.outChannels, groups: g.groups,
    kH: g.kernelHeight, kW: g.kernelWidth, sH: g.strideHeight, sW: g.strideWidth, dH: g.dilationHeight, dW: g.dilationWidth,
    padTop: g.padTop, padLeft: g.padLeft, outH: g.outHeight, outW: g.outWidth,
  }, x, w, false, b, activation);
}

export const conv2d: GpuKernel<'conv2d'> = ({ x, w, b }, { geometry }, gpu) =>
  convForward(gpu, x.data, w.data, b?.data, geometry, 'none', 'conv2d');
