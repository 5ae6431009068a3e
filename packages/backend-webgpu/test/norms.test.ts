import { describe, it } from 'vitest';
import { getGpu } from './gpu.js';
import { expectClose, f64, rand, ref, runKernel, vjp, type F64 } from './reference.js';

const gpu = await getGpu();

/** Mean and biased variance of consecutive blocks of `block` elements (two passes, float64). */
function blockStats(x: F64, block: number): { mean: F64; variance: F64 } {
  const rows = x.data.length / block;
  const mean = f64([rows]), variance = f64([rows]);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < block; k++) s += x.data[r * block + k]!;
    const m = s / block;
    let q = 0;
    for (let k = 0; k < block; k++) q += (x.data[r * block + k]! - m) ** 2;
    mean.data[r] = m;
    variance.data[r] = q / block;
  }
  return { mean, variance };
}

const shape = [3, 4, 5, 6];
const C = shape[1]!;
const x = rand(shape, 1, -2, 3);
const dy = rand(shape, 2);
const weight = rand([C], 3, 0.5, 1.5), bias = rand([C], 4);

describe.skipIf(!gpu)('batch norm on webgpu against the float64 reference', () => {
  const rm = rand([C], 5), rv = rand([C], 6, 0.5, 2);
  for (const affine of [true, false]) {
    const w = affine ? weight : undefined, b = affine ? bias : undefined;
    it(`batchNormInference affine=${affine}`, async () => {
      const [y] = await runKernel(gpu!, 'batchNormInference', { x, mean: rm, variance: rv, scale: w, offset: b }, { eps: 1e-5 }, { y: shape });
      const want = ref.batchNorm(x, rm, rv, w, b, { training: false, eps: 1e-5 }).y;
      expectClose('y', y!, want, want.magnitude);
    });
    it(`batchNormInferenceFused relu affine=${affine}`, async () => {
      const [y] = await runKernel(gpu!, 'batchNormInferenceFused', { x, mean: rm, variance: rv, scale: w, offset: b }, { eps: 1e-5, activation: 'relu' }, { y: shape });
      const want = ref.batchNorm(x, rm, rv, w, b, { training: false, eps: 1e-5 }).y;
      expectClose('y', y!, ref.relu(want), want.magnitude);
    });
    it(`batchNormTraining affine=${affine}`, async () => {
      const [y, mean, variance] = await runKernel(gpu!, 'batchNormTraining', { x, scale: w, offset: b }, { eps: 1e-3 }, { y: shape, mean: [C], variance: [C] });
      const want = ref.batchNorm(x, rm, rv, w, b, { training: true, eps: 1e-3 }).y;
      expectClose('y', y!, want, want.magnitude);
      const stats = ref.channelStats(x);
      expectClose('mean', mean!, f64([C], stats.mean), f64([C], stats.meanAbs));
      expectClose('variance', variance!, f64([C], stats.variance));
    });
    it(`batchNormBackward affine=${affine}`, async () => {
      const stats = ref.channelStats(x);
      const [dx, dscale, doffset] = await runKernel(gpu!, 'batchNormBackward',
        { dy, x, mean: f64([C], stats.mean), variance: f64([C], stats.variance), scale: w }, { eps: 1e-3 }, { dx: shape, dscale: [C], doffset: [C] });
      const f = (i: F64[]): F64 => ref.batchNorm(i[0]!, rm, rv, i[1], i[2], { training: true, eps: 1e-3 }).y;
      const ones = { shape: [C], data: new Float64Array(C).fill(1) };
      const inputs = [x, w ?? ones, b ?? f64([C])];
      for (const [k, got] of [dx, dscale, doffset].entries()) {
        const want = vjp(f, inputs as F64[], dy, k);
        expectClose(['dx', 'dscale', 'doffset'][k]!, got!, want, want.magnitude);
      }
    });
  }
});

describe.skipIf(!gpu)('layer and group norm on webgpu against the float64 reference', () => {
  for (const normalizedShape of [[4, 5, 6], [6]]) {
    const rowSize = normalizedShape.reduce((a, b) => a * b, 1);
    const w = rand(normalizedShape, 7, 0.5, 1.5), b = rand(normalizedShape, 8);
    it(`layerNorm [${normalizedShape}]`, async () => {
      const rows = x.data.length / rowSize;
      const [y, mean, variance] = await runKernel(gpu!, 'layerNorm', { x, weight: w, bias: b }, { rowSize, eps: 1e-5 }, { y: shape, mean: [rows], variance: [rows] });
      const want = ref.layerNorm(x, normalizedShape, w, b, { eps: 1e-5 });
      expectClose('y', y!, want, want.magnitude);
      const stats = blockStats(x, rowSize);
      expectClose('mean', mean!, stats.mean, { shape: [rows], data: new Float64Array(rows).fill(3) }); // |x| < 3 // |x| < 3
      expectClose('variance', variance!, stats.variance);
    });
    it(`layerNormBackward [${normalizedShape}]`, async () => {
      const stats = blockStats(x, rowSize);
      const [dx, dweight, dbias] = await runKernel(gpu!, 'layerNormBackward', { dy, x, mean: stats.mean, variance: stats.variance, weight: w },
        { rowSize, eps: 1e-5 }, { dx: shape, dweight: [rowSize], dbias: [rowSize] });
      const f = (i: F64[]): F64 => ref.layerNorm(i[0]!, normalizedShape, i[1], i[2], { eps: 1e-5 });
      for (const [k, got] of [dx, dweight, dbias].entries()) {
        const want = vjp(f, [x, w, b], dy, k);
        expectClose(['dx', 'dweight', 'dbias'][k]!, got!, want, want.magnitude);
      }
    });
  }

  // more than SERIAL_PARAM_ELEMENTS elements per parameter: parameter gradients by one workgroup each
  it('layerNormBackward and groupNormBackward parameter gradients over many elements', async () => {
    const lx = rand([300, 4], 11, -2, 3), ldy = rand([300, 4], 12), lw = rand([4], 13, 0.5, 1.5), lb = rand([4], 14);
    const ls = blockStats(lx, 4);
    const [, ldw, ldb] = await runKernel(gpu!, 'layerNormBackward', { dy: ldy, x: lx, mean: ls.mean, variance: ls.variance, weight: lw },
      { rowSize: 4, eps: 1e-5 }, { dx: [300, 4], dweight: [4], dbias: [4] });
    const lf = (i: F64[]): F64 => ref.layerNorm(i[0]!, [4], i[1], i[2], { eps: 1e-5 });
    for (const [k, got] of [[1, ldw], [2, ldb]] as const) {
      const want = vjp(lf, [lx, lw, lb], ldy, k);
      expectClose(k === 1 ? 'layerNorm dweight' : 'layerNorm dbias', got!, want, want.magnitude);
    }
    const gShape = [2, 4, 12, 12];
    const gx = rand(gShape, 15, -2, 3), gdy = rand(gShape, 16);
    const gs = blockStats(gx, 2 * 144);
    const [, gdw, gdb] = await runKernel(gpu!, 'groupNormBackward', { dy: gdy, x: gx, mean: gs.mean, variance: gs.variance, weight },
      { numGroups: 2, eps: 1e-5 }, { dx: gShape, dweight: [C], dbias: [C] });
    const gf = (i: F64[]): F64 => ref.groupNorm(i[0]!, 2, i[1], i[2], { eps: 1e-5 });
    for (const [k, got] of [[1, gdw], [2, gdb]] as const) {
      const want = vjp(gf, [gx, weight, bias], gdy, k);
      expectClose(k === 1 ? 'groupNorm dweight' : 'groupNorm dbias', got!, want, want.magnitude);
    }
  });

  for (const [G, affine] of [[2, true], [4, false], [1, true]] as const) {
    const S = shape[2]! * shape[3]!;
    const rows = shape[0]! * G;
    it(`groupNorm G=${G} affine=${affine}`, async () => {
      const [y, mean, variance] = await runKernel(gpu!, 'groupNorm', { x, weight: affine ? weight : undefined, bias: affine ? bias : undefined },
        { numGroups: G, eps: 1e-5 }, { y: shape, mean: [shape[0]!, G], variance: [shape[0]!, G] });
      const want = ref.groupNorm(x, G, affine ? weight : undefined, affine ? bias : undefined, { eps: 1e-5 });
      expectClose('y', y!, want, want.magnitude);
      const stats = blockStats(x, (C / G) * S);
      expectClose('mean', mean!, stats.mean, { shape: [rows], data: new Float64Array(rows).fill(3) }); // |x| < 3
      expectClose('variance', variance!, stats.variance);
    });
    it(`groupNormBackward G=${G} affine=${affine}`, async () => {
      const stats = blockStats(x, (C / G) * S);
      const [dx, dweight, dbias] = await runKernel(gpu!, 'groupNormBackward',
        { dy, x, mean: stats.mean, variance: stats.variance, weight: affine ? weight : undefined },
        { numGroups: G, eps: 1e-5 }, { dx: shape, dweight: [C], dbias: [C] });
      const ones = { shape: [C], data: new Float64Array(C).fill(1) };
      const f = (i: F64[]): F64 => ref.groupNorm(i[0]!, G, i[1], i[2], { eps: 1e-5 });
      for (const [k, got] of [dx, dweight, dbias].entries()) {
        const want = vjp(f, [x, affine ? weight : ones, affine ? bias : f64([C])], dy, k);
        expectClose(['dx', 'dweight', 'dbias'][k]!, got!, want, want.magnitude);
      }
    });
  }
});

describe.skipIf(!gpu)('FRN and TLU on webgpu against the float64 reference', () => {
  const tau = rand([C], 9, -0.5, 0.5);
  for (const epsValue of [1e-6, -0.3, 0.2]) {
    const eps = f64([1], [Math.fround(epsValue)]);
    it(`frn eps=${epsValue}`, async () => {
      const [y, nu2] = await runKernel(gpu!, 'frn', { x, eps, weight, bias }, {}, { y: shape, nu2: [shape[0]!, C] });
      const want = ref.frn(x, weight, bias, { eps: eps.data[0] });
      expectClose('y', y!, want, want.magnitude);
      const sq = f64([shape[0]! * C]);
      const S = shape[2]! * shape[3]!;
      for (let p = 0; p < sq.data.length; p++) for (let k = 0; k < S; k++) sq.data[p] += x.data[p * S + k]! ** 2 / S;
      expectClose('nu2', nu2!, sq);
    });
    it(`frnTlu eps=${epsValue}`, async () => {
      const [y] = await runKernel(gpu!, 'frnTlu', { x, eps, tau, weight, bias }, {}, { y: shape });
      const f = ref.frn(x, weight, bias, { eps: eps.data[0] });
      expectClose('y', y!, ref.tlu(f, tau), f.magnitude);
    });
    it(`frnBackward eps=${epsValue}`, async () => {
      const S = shape[2]! * shape[3]!;
      const nu2 = f64([shape[0]! * C]);
      for (let p = 0; p < nu2.data.length; p++) for (let k = 0; k < S; k++) nu2.data[p] += x.data[p * S + k]! ** 2 / S;
      const [dx, dweight, dbias, deps] = await runKernel(gpu!, 'frnBackward', { dy, x, nu2, eps, weight }, {},
        { dx: shape, dweight: [C], dbias: [C], deps: [1] });
      const f = (i: F64[]): F64 => ref.frn(i[0]!, i[1], i[2], { eps: i[3]!.data[0] });
      for (const [k, got] of [dx, dweight, dbias, deps].entries()) {
        // the step stays inside eps's sign (|eps| has a kink at 0)
        const want = vjp(f, [x, weight, bias, { shape: [1], data: eps.data.slice() }], dy, k, Math.min(1e-5, Math.abs(epsValue) / 4));
        expectClose(['dx', 'dweight', 'dbias', 'deps'][k]!, got!, want, want.magnitude);
      }
    });
  }
  it('tlu', async () => {
    const [y] = await runKernel(gpu!, 'tlu', { x, tau }, {}, { y: shape });
    expectClose('y', y!, ref.tlu(x, tau));
  });
  it('tluBackward', async () => {
    const [dx, dtau] = await runKernel(gpu!, 'tluBackward', { dy, x, tau }, {}, { dx: shape, dtau: [C] });
    const f = (i: F64[]): F64 => ref.tlu(i[0]!, i[1]!);
    for (const [k, got] of [dx, dtau].entries()) {
      const want = vjp(f, [x, tau], dy, k, 1e-6);
      expectClose(['dx', 'dtau'][k]!, got!, want, want.magnitude);
    }
  });
});
