import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';

const def: ProgramDef = {
  name: 'argmax',
  inputs: ['x'],
  outputs: ['y'],
  uniforms: { axisSize: 'u32', inner: 'u32' },
  work: 'element',
  // the first maximum wins; the first NaN is taken as the largest and ends the search
  body: /* wgsl */ `
  let base = (i / P.inner) * P.axisSize * P.inner + i % P.inner;
  var best = 0u;
  var m = x[base];
  if (!isNan(m)) {
    for (var j = 1u; j < P.axisSize; j = j + 1u) {
      let v = x[base + j * P.inner];
      if (isNan(v)) { best = j; break; }
      if (v > m) { m = v; best = j; }
    }
  }
  y[i] = f32(best);`,
};

/** Index of the largest value along the axis, as float32; output [outer, inner]. */
export const argmax: GpuKernel<'argmax'> = ({ x }, { outer, inner, axisSize }, gpu) => {
  const y = gpu.alloc(outer * inner, 'argmax');
  gpu.run(def, [x.data], [y], { axisSize, inner }, outer * inner);
  return y;
};
