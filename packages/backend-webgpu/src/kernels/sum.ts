import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';
import { collapseAxes, numel, stridesOf } from '../util.js';

const sumDef: ProgramDef = {
  name: 'sum',
  inputs: ['x'],
  outputs: ['y'],
  uniforms: {
    keptRank: 'u32', keptShape: 'u32x8', keptStrides: 'i32x8',
    reducedRank: 'u32', reducedShape: 'u32x8', reducedStrides: 'i32x8', reduced: 'u32',
  },
  work: 'group',
  body: /* wgsl */ `
  let base = offsetIn(g, P.keptRank, P.keptShape, P.keptStrides);
  var acc = 0.0;
  for (var r = lid; r < P.reduced; r = r + WG) {
    acc = acc + x[u32(base + offsetIn(r, P.reducedRank, P.reducedShape, P.reducedStrides))];
  }
  let total = groupSum(vec4f(acc, 0.0, 0.0, 0.0), lid).x;
  if (lid == 0u) { y[g] = total; }`,
};

/** Sum over `axes`: one workgroup per output element reduces its elements (kept axes → base offset). */
export const sum: GpuKernel<'sum'> = ({ x }, { axes }, gpu) => {
  const strides = stridesOf(x.shape);
  const keptAxes = x.shape.map((_, k) => k).filter((k) => !axes.includes(k));
  const kept = collapseAxes('sum', keptAxes.map((k) => x.shape[k]!), [keptAxes.map((k) => strides[k]!)]);
  const red = collapseAxes('sum', axes.map((k) => x.shape[k]!), [axes.map((k) => strides[k]!)]);
  const outputs = numel(kept.shape), reduced = numel(red.shape);
  const y = gpu.alloc(outputs, 'sum');
  gpu.run(sumDef, [x.data], [y], {
    keptRank: kept.shape.length, keptShape: kept.shape, keptStrides: kept.strides[0]!,
    reducedRank: red.shape.length, reducedShape: red.shape, reducedStrides: red.strides[0]!, reduced,
  }, outputs);
  return y;
};
