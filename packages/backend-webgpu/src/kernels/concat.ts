import type { GpuKernel } from '../backend.js';
import type { ProgramDef } from '../shader.js';

const concatDef: ProgramDef = {
  name: 'concat',
  inputs: ['a', 'b'],
  outputs: ['y'],
  uniforms: { aSize: 'u32', bSize: 'u32', inner: 'u32' },
  work: 'element',
  body: /* wgsl */ `
  let row = (P.aSize + P.bSize) * P.inner;
  let o = i / row;
  let r = i % row;
  let aRow = P.aSize * P.inner;
  if (r < aRow) { y[i] = a[o * aRow + r]; } else { y[i] = b[o * P.bSize * P.inner + (r - aRow)]; }`,
};

/** y[outer, aSize + bSize, inner]: a's rows then b's. */
export const concat: GpuKernel<'concat'> = ({ a, b }, { outer, aSize, bSize, inner }, gpu) => {
  const n = outer * (aSize + bSize) * inner;
  const y = gpu.alloc(n, 'concat');
  gpu.run(concatDef, [a.data, b.data], [y], { aSize, bSize, inner }, n);
  return y;
};
