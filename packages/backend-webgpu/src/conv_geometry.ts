import type { Conv2dGeometry, Window2dGeometry } from '@hypercolumn/core';
import type { UniformType } from './shader.js';

/** Uniform fields of a 2-d window (all i32: window origins go negative in the padding). */
export const WINDOW_UNIFORMS = {
  batch: 'i32', inH: 'i32', inW: 'i32', outH: 'i32', outW: 'i32', kH: 'i32', kW: 'i32',
  sH: 'i32', sW: 'i32', dH: 'i32', dW: 'i32', padTop: 'i32', padLeft: 'i32', padBottom: 'i32', padRight: 'i32',
} as const satisfies Record<string, UniformType>;

export const CONV_UNIFORMS = { ...WINDOW_UNIFORMS, inC: 'i32', outC: 'i32', groups: 'i32' } as const satisfies Record<string, UniformType>;

export function windowUniforms(g: Window2dGeometry): Record<keyof typeof WINDOW_UNIFORMS, number> {
  return {
    batch: g.batch, inH: g.inHeight, inW: g.inWidth, outH: g.outHeight, outW: g.outWidth,
    kH: g.kernelHeight, kW: g.kernelWidth, sH: g.strideHeight, sW: g.strideWidth,
    dH: g.dilationHeight, dW: g.dilationWidth, padTop: g.padTop, padLeft: g.padLeft, padBottom: g.padBottom, padRight: g.padRight,
  };
}

export function convUniforms(g: Conv2dGeometry): Record<keyof typeof CONV_UNIFORMS, number> {
  return { ...windowUniforms(g), inC: g.inChannels, outC: g.outChannels, groups: g.groups };
}
