import type { Window2dGeometry } from '@hypercolumn/core';
import type { GpuKernel } from '../backend.js';
import { component, windowSpan, windowUnrolls } from '../conv_direct.js';
import { WINDOW_UNIFORMS, windowUniforms } from '../conv_geometry.js';
import { MAX_WINDOW_WGSL } from '../pool_wgsl.js';
import { type ProgramDef, variant } from '../shader.js';
import { numel } from '../util.js';

const def: ProgramDef = {
  name: 'maxPool2d',
  inputs: ['x'],
  outputs: ['y'],
  uniforms: WINDOW_UNIFORMS,
  work: 'element',
  helpers: MAX_WINDOW_WGSL,
  // one output per invocation: neighbouring invocations read neighbouring input columns
  body: /* wgsl */ `
  let idx = i32(i);
  let ow = idx % P.outW;
  let oh = (idx / P.outW) % P.outH;
  let plane = idx / (P.outW * P.outH);
  y[i] = windowMax(plane * P.inH * P.inW, oh, ow).value;`,
};

/**
 * Windows inside the input and rows a multiple of 4 long: 4 outputs of a row per invocation, each input row of
 * their windows read as ceil(span / 4) aligned vec4s (kW, sW, dW compile-time, so the window stays
 * in registers). The same rule as windowMax: the first tap, then any greater value or a NaN.
 */
function rowDef(kW: number, sW: number, dW: number): ProgramDef {
  const name = `maxPool2d_rows_k${kW}_s${sW}_d${dW}`;
  return variant(name, () => {
    const V = Math.ceil(windowSpan(4, kW, sW, dW) / 4);
    const J = [0, 1, 2, 3];
    // the window's first tap (kh = 0, kw = 0) always replaces the initial value
    const taps = Array.from({ length: kW }, (_, kw) =>
      J.map((j) => `{ let v = ${component(kw * dW + j * sW)}; m${j} = select(m${j}, v, ${kw === 0 ? 'kh == 0 || ' : ''}v > m${j} || isNan(v)); }`).join('\n    '));
    return {
      inputs: ['x'],
      vec4Inputs: ['x'],
      outputs: ['y'],
      uniforms: WINDOW_UNIFORMS,
      work: 'element',
      body: /* wgsl */ `
  let idx = i32(i);
  let owBlocks = (P.outW + 3) / 4;
  let owb = idx % owBlocks;
  let oh = (idx / owBlocks) % P.outH;
  let plane = idx / (owBlocks * P.outH);
  let last = i32(arrayLength(&x)) - 1;
  ${J.map((j) => `var m${j} = 0.0;`).join('\n  ')}
  for (var kh = 0; kh < P.kH; kh = kh + 1) {
    let at = ((plane * P.inH + oh * P.sH + kh * P.dH) * P.inW) / 4 + owb * ${sW};
    // columns past the row end only feed outputs past outW (never stored)
    ${Array.from({ length: V }, (_, k) => `let v${k} = x[min(at + ${k}, last)];`).join('\n    ')}
    ${taps.join('\n    ')}
  }
  let yRow = (plane * P.outH + oh) * P.outW;
  ${J.map((j) => `if (owb * 4 + ${j} < P.outW) { y[yRow + owb * 4 + ${j}] = m${j}; }`).join('\n  ')}`,
    };
  });
}

/** Every window inside the input (no padding, no ceil-mode overhang), rows a multiple of 4 long, a window rowDef can write out. */
const insideAligned = (g: Window2dGeometry): boolean =>
  windowUnrolls(4, g.kernelWidth, g.strideWidth, g.dilationWidth) && g.padTop === 0 && g.padLeft === 0 && g.inWidth % 4 === 0 &&
  (g.outHeight - 1) * g.strideHeight + (g.kernelHeight - 1) * g.dilationHeight < g.inHeight &&
  (g.outWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth < g.inWidth;

/** Max pooling; padding is ignored. */
export const maxPool2d: GpuKernel<'maxPool2d'> = ({ x }, { geometry: g }, gpu) => {
  const y = gpu.alloc(numel(g.yShape), 'maxPool2d');
  if (insideAligned(g)) {
    gpu.run(rowDef(g.kernelWidth, g.strideWidth, g.dilationWidth), [x.data], [y], windowUniforms(g), g.batch * g.channels * g.outHeight * Math.ceil(g.outWidth / 4));
  } else {
    gpu.run(def, [x.data], [y], windowUniforms(g), numel(g.yShape));
  }
  return y;
};
