/**
 * The normalization family shares one shape of work: a *row* of statistics (a batch-norm channel,
 * a layer-norm row, a group-norm (n, group)) is `segments` runs of `segLen` contiguous elements,
 * `segStride` apart, starting at `row · rowStride`. One workgroup per row reduces it (two passes:
 * mean, then the mean squared deviation — never E[x²] − E[x]²). Each norm supplies the WGSL
 * expression of the affine parameter index of element `off` of segment `seg` of row g (`param`).
 * The loops walk segments, then offsets, so no element needs an integer division (slow on GPUs,
 * scalarized on CPU-emulated ones).
 *
 * Parameter gradients of norms whose parameters span several rows (layer, group) reduce *columns*:
 * one workgroup per parameter p walks its `count` elements t, each with an address and its row.
 */
import type { FusedActivation } from '@hypercolumn/core';
import type { ProgramDef, UniformType } from './shader.js';

export const ROW_UNIFORMS = {
  segments: 'u32', segLen: 'u32', segStride: 'u32', rowStride: 'u32', eps: 'f32',
  // free for the param expressions: channels, groups, channels per group, spatial size
  C: 'u32', G: 'u32', cpg: 'u32', S: 'u32',
} as const satisfies Record<string, UniformType>;

export interface RowLayout {
  segments: number;
  segLen: number;
  segStride: number;
  rowStride: number;
  C?: number;
  G?: number;
  cpg?: number;
  S?: number;
}

export function rowUniforms(layout: RowLayout, eps: number): Record<keyof typeof ROW_UNIFORMS, number> {
  return { C: 0, G: 0, cpg: 0, S: 0, ...layout, eps };
}

const ROW_HELPERS = /* wgsl */ `
fn rowLength() -> u32 { return P.segments * P.segLen; }
`;

/** WGSL: `body` for every element of row g that this invocation owns, with `a` its address. */
const forRow = (body: string): string => /* wgsl */ `
  for (var seg = 0u; seg < P.segments; seg = seg + 1u) {
    let segBase = g * P.rowStride + seg * P.segStride;
    for (var off = lid; off < P.segLen; off = off + WG) {
      let a = segBase + off;
      ${body}
    }
  }`;

const activationWgsl = (activation: FusedActivation, v: string): string =>
  activation === 'relu' ? `${v} = select(0.0, ${v}, ${v} > 0.0 || isNan(${v}));` : '';

/**
 * Forward: y = (x − mean)/sqrt(var + eps)·weight[param] + bias[param], and the row's mean and
 * (biased) variance.
 */
export function rowNormForwardDef(kind: string, param: string, hasWeight: boolean, hasBias: boolean, activation: FusedActivation = 'none'): ProgramDef {
  return {
    name: `${kind}${hasWeight ? '_w' : ''}${hasBias ? '_b' : ''}${activation === 'none' ? '' : `_${activation}`}`,
    inputs: ['x', ...(hasWeight ? ['weight'] : []), ...(hasBias ? ['bias'] : [])],
    outputs: ['y', 'meanOut', 'varianceOut'],
    uniforms: ROW_UNIFORMS,
    work: 'group',
    helpers: ROW_HELPERS,
    body: /* wgsl */ `
  let L = rowLength();
  var s = 0.0;
  ${forRow('s = s + x[a];')}
  let mean = groupSum(vec4f(s, 0.0, 0.0, 0.0), lid).x / f32(L);
  var q = 0.0;
  ${forRow('let d = x[a] - mean; q = q + d * d;')}
  let variance = groupSum(vec4f(q, 0.0, 0.0, 0.0), lid).x / f32(L);
  let inv = 1.0 / sqrt(variance + P.eps);
  ${forRow(`let p = ${param};
      var v = (x[a] - mean) * inv${hasWeight ? ' * weight[p]' : ''}${hasBias ? ' + bias[p]' : ''};
      ${activationWgsl(activation, 'v')}
      y[a] = v;`)}
  if (lid == 0u) { meanOut[g] = mean; varianceOut[g] = variance; }`,
  };
}

/**
 * Input gradient with batch statistics: with r = 1/sqrt(var + eps), x̂ = (x − mean)·r and
 * γ = dy·weight[param], dx = r·(γ − mean(γ) − x̂·mean(γ·x̂)). With `rowSums` (batch norm, whose
 * parameters are per row) it also writes Σ dy·x̂ and Σ dy of the row.
 */
export function rowNormBackwardDef(kind: string, param: string, hasWeight: boolean, rowSums: boolean): ProgramDef {
  const w = hasWeight ? ' * weight[p]' : '';
  return {
    name: `${kind}_dx${hasWeight ? '_w' : ''}`,
    inputs: ['dy', 'x', 'mean', 'variance', ...(hasWeight ? ['weight'] : [])],
    outputs: ['dx', ...(rowSums ? ['dweight', 'dbias'] : [])],
    uniforms: ROW_UNIFORMS,
    work: 'group',
    helpers: ROW_HELPERS,
    body: /* wgsl */ `
  let L = rowLength();
  let m = mean[g];
  let r = 1.0 / sqrt(variance[g] + P.eps);
  var acc = vec4f(0.0);
  ${forRow(`let p = ${param};
      let d = dy[a];
      let gamma = d${w};
      let xh = (x[a] - m) * r;
      acc = acc + vec4f(gamma, gamma * xh, d, d * xh);`)}
  let t = groupSum(acc, lid);
  let meanG = t.x / f32(L);
  let meanGX = t.y / f32(L);
  ${forRow(`let p = ${param};
      dx[a] = r * (dy[a]${w} - meanG - (x[a] - m) * r * meanGX);`)}
  ${rowSums ? 'if (lid == 0u) { dweight[g] = t.w; dbias[g] = t.z; }' : ''}`,
  };
}

/**
 * Parameter gradients reduced over columns: dweight[p] = Σ dy·x̂, dbias[p] = Σ dy over the elements of
 * parameter p: `segments` runs of `segLen`, element `off` of run `seg` at `address` with statistics
 * `row` (WGSL expressions of p, seg, off). `serial`: one invocation per parameter sums its elements
 * alone, for few elements per parameter (layer norm over a few long rows: a workgroup per parameter
 * would pay a barrier tree for a handful of additions, hundreds of thousands of times); otherwise one
 * workgroup per parameter.
 */
export function columnParamGradDef(kind: string, address: string, row: string, serial: boolean): ProgramDef {
  const term = /* wgsl */ `
      let a = ${address};
      let row = ${row};
      let d = dy[a];
      acc = acc + vec2f(d * (x[a] - mean[row]) / sqrt(variance[row] + P.eps), d);`;
  return {
    name: `${kind}_dparams${serial ? '_serial' : ''}`,
    inputs: ['dy', 'x', 'mean', 'variance'],
    outputs: ['dweight', 'dbias'],
    uniforms: { segments: 'u32', segLen: 'u32', eps: 'f32', C: 'u32', G: 'u32', cpg: 'u32', S: 'u32', rowLen: 'u32' },
    work: serial ? 'element' : 'group',
    body: serial
      ? /* wgsl */ `
  let p = i;
  var acc = vec2f(0.0);
  for (var seg = 0u; seg < P.segments; seg = seg + 1u) {
    for (var off = 0u; off < P.segLen; off = off + 1u) {${term}
    }
  }
  dweight[p] = acc.x;
  dbias[p] = acc.y;`
      : /* wgsl */ `
  let p = g;
  var acc = vec2f(0.0);
  for (var seg = 0u; seg < P.segments; seg = seg + 1u) {
    for (var off = lid; off < P.segLen; off = off + WG) {${term}
    }
  }
  let s = groupSum(vec4f(acc, 0.0, 0.0), lid);
  if (lid == 0u) { dweight[p] = s.x; dbias[p] = s.y; }`,
  };
}

/** Elements per parameter up to which columnParamGradDef sums serially. */
export const SERIAL_PARAM_ELEMENTS = 256;
