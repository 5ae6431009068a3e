// Every wasm kernel against the float64 reference (forward) and finite differences of it
// (backward), on each build: plain and relaxed SIMD on one thread, and two threads with every call
// split (minParallelWork 0) so the partitioned paths run too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2dGeometry, pool2dGeometry, type ConvOptions2d, type PoolOptions2d } from '@hypercolumn/core';
import { reference as ref } from '@hypercolumn/conformance-core';
import { createWasmBackend, type WasmBackend } from '../src/index.js';
import { expectClose, f64, finiteDiff, numel, rand, runKernel, type F64 } from './harness.js';

const configs = [
  { label: 'plain SIMD, 1 thread', options: { threads: 1, simd: 'plain' as const } },
  { label: 'relaxed SIMD, 1 thread', options: { threads: 1, simd: 'relaxed' as const } },
  { label: '2 threads', options: { threads: 2, minParallelWork: 0 } },
];

const convCases: { x: number[]; w: number[]; o: ConvOptions2d; bias?: boolean }[] = [
  { x: [2, 3, 7, 9], w: [8, 3, 3, 3], o: { padding: 1 }, bias: true },
  { x: [1, 4, 9, 8], w: [10, 4, 3, 3], o: { stride: 2, padding: [1, 0] }, bias: true },
  { x: [1, 3, 10, 11], w: [9, 3, 3, 2], o: { dilation: [2, 3], padding: 2 } },
  { x: [2, 6, 6, 7], w: [12, 2, 3, 3], o: { groups: 3, padding: 'same' }, bias: true },
  { x: [1, 5, 8, 9], w: [5, 1, 3, 3], o: { groups: 5, stride: [1, 2], padding: 1 }, bias: true },
  { x: [1, 4, 6, 6], w: [8, 1, 5, 5], o: { groups: 4, padding: 2 } },
  { x: [2, 8, 5, 6], w: [16, 8, 1, 1], o: {}, bias: true },
  { x: [1, 3, 1, 17], w: [9, 3, 1, 4], o: { stride: [1, 2], padding: [0, 2] } },
  { x: [1, 1, 12, 12], w: [6, 1, 5, 5], o: {}, bias: true },
  { x: [1, 2, 5, 5], w: [3, 2, 3, 3], o: { stride: 3, padding: [3, 0] } },
  { x: [2, 3, 6, 13], w: [6, 3, 3, 3], o: { padding: [0, 1], dilation: [1, 2] }, bias: true },
  { x: [1, 8, 3, 19], w: [14, 4, 1, 1], o: { groups: 2 }, bias: true },
  { x: [1, 5, 4, 14], w: [9, 5, 3, 3], o: { padding: 1 }, bias: true },
  { x: [2, 3, 10, 11], w: [3, 1, 3, 3], o: { groups: 3, padding: [1, 2] }, bias: true },
  // pixel-pair tiles spanning rows: groups, row stride 2, odd rows (5 pixels), 8 channels per group
  { x: [2, 4, 7, 5], w: [16, 2, 3, 3], o: { groups: 2, stride: [2, 1], padding: 1 }, bias: true },
  // input gradient on pixel-pair tiles (9 channels: a block of 1), 7-pixel rows
  { x: [1, 9, 5, 7], w: [6, 9, 3, 3], o: { padding: 1 } },
  // depthwise on rows of 8k + 1 pixels over an odd number of row groups: the 8-row column of 4 pixels ending each row
  { x: [1, 2, 9, 17], w: [2, 1, 3, 3], o: { groups: 2, padding: 1 }, bias: true },
  // pixel-row tiles whose row pairs share input rows: row stride = row dilation = 2, then one tap row
  { x: [1, 3, 13, 12], w: [3, 1, 3, 3], o: { groups: 3, stride: [2, 1], dilation: [2, 1], padding: 2 }, bias: true },
  { x: [1, 2, 9, 11], w: [2, 1, 1, 3], o: { groups: 2, padding: [0, 1] }, bias: true },
  // 16 images: pixel-row tiles that pad each image themselves, also when split across 2 threads
  { x: [16, 1, 6, 9], w: [3, 1, 3, 3], o: { padding: 1 }, bias: true },
];

const poolCases: { x: number[]; o: PoolOptions2d }[] = [
  { x: [2, 3, 8, 8], o: { kernelSize: 2 } },
  { x: [1, 2, 9, 7], o: { kernelSize: 3, stride: 2, padding: 1 } },
  { x: [1, 2, 7, 10], o: { kernelSize: [2, 3], stride: [2, 1], padding: [1, 1], ceilMode: true } },
  { x: [1, 2, 9, 9], o: { kernelSize: 2, dilation: 2, stride: 1 } },
  { x: [1, 3, 1, 12], o: { kernelSize: [1, 3], stride: [1, 2], padding: [0, 1] } },
  { x: [1, 2, 6, 21], o: { kernelSize: 2 } },
  { x: [1, 2, 7, 20], o: { kernelSize: 3, stride: 1, padding: 1 } },
  { x: [2, 2, 9, 31], o: { kernelSize: [2, 3], stride: [2, 3], padding: [1, 1] } },
  { x: [1, 2, 9, 29], o: { kernelSize: 3, stride: 2, padding: 1 } },
  { x: [1, 2, 7, 30], o: { kernelSize: 3, stride: 2, dilation: [1, 3] } },
];

for (const { label, options } of configs) {
  describe(`wasm kernels (${label})`, () => {
    let be: WasmBackend;
    beforeAll(async () => {
      be = await createWasmBackend(options);
    });
    afterAll(() => be.dispose());

    it('describes its build and threads', () => {
      expect(be.description).toContain(options.simd === 'plain' ? 'SIMD128' : options.simd === 'relaxed' ? 'relaxed-SIMD' : 'SIMD');
      expect(be.threads).toBe(options.threads);
    });

    for (const [i, c] of convCases.entries()) {
      it(`conv2d case ${i}: forward, fused relu, input and filter gradients`, () => {
        const x = rand(c.x, 10 + i), w = rand(c.w, 20 + i, -0.5, 0.5);
        const b = c.bias ? rand([c.w[0]!], 30 + i) : undefined;
        const g = conv2dGeometry('conv2d', c.x, c.w, c.o);
        const refOpts = { stride: c.o.stride, dilation: c.o.dilation, groups: c.o.groups, padding: [g.padTop, g.padBottom, g.padLeft, g.padRight] as const };
        const want = ref.conv2d(x, w, b, refOpts);
        expectClose(runKernel(be, 'conv2d', { x, w, b }, { geometry: g }, { y: g.yShape })[0]!, want, 2e-5, 'conv2d');
        const relu = f64(want.shape, want.data.map((v) => Math.max(v, 0)));
        expectClose(runKernel(be, 'conv2dFused', { x, w, b }, { geometry: g, activation: 'relu' }, { y: g.yShape })[0]!, relu, 2e-5, 'conv2dFused');
        const dy = rand(g.yShape, 40 + i);
        const dx = runKernel(be, 'conv2dBackpropInput', { dy, w }, { geometry: g }, { dx: g.xShape })[0]!;
        expectClose(dx, finiteDiff((xv) => ref.conv2d(xv, w, undefined, refOpts), x, dy), 1e-4, 'dx');
        const dw = runKernel(be, 'conv2dBackpropFilter', { x, dy }, { geometry: g }, { dw: g.wShape })[0]!;
        expectClose(dw, finiteDiff((wv) => ref.conv2d(x, wv, undefined, refOpts), w, dy), 1e-4, 'dw');
      });
    }

    it('conv2d with weights too large for the cache (rows-first work order), fused bias and relu', () => {
      // dilated columns: the direct kernel (Winograd takes undilated 3×3 layers this wide)
      const xs = [2, 128, 5, 12], ws = [132, 128, 3, 3];
      const x = rand(xs, 70), w = rand(ws, 71, -0.1, 0.1), b = rand([132], 72);
      const g = conv2dGeometry('conv2d', xs, ws, { padding: 1, dilation: [1, 2] });
      const want = ref.conv2d(x, w, b, { padding: 1, dilation: [1, 2] });
      const relu = f64(want.shape, want.data.map((v) => Math.max(v, 0)));
      expectClose(runKernel(be, 'conv2dFused', { x, w, b }, { geometry: g, activation: 'relu' }, { y: g.yShape })[0]!, relu, 2e-5, 'conv2dFused');
    });

    // 3×3: F(2×2, 3×3); 1×k, k a multiple of 3: F(3, 3) along the rows
    it.each([
      { xs: [2, 128, 7, 9], o: 128, k: [3, 3], padding: 1 as ConvOptions2d['padding'] },
      { xs: [1, 130, 6, 11], o: 132, k: [3, 3], padding: [1, 0] as ConvOptions2d['padding'] },
      { xs: [1, 128, 9, 8], o: 136, k: [3, 3], padding: [0, 2, 1, 0] as ConvOptions2d['padding'] },
      { xs: [3, 64, 10, 12], o: 64, k: [3, 3], padding: 'same' as ConvOptions2d['padding'] },
      { xs: [2, 64, 1, 100], o: 64, k: [1, 9], padding: [0, 0, 4, 4] as ConvOptions2d['padding'] },
      { xs: [1, 65, 1, 37], o: 70, k: [1, 3], padding: [0, 0, 1, 1] as ConvOptions2d['padding'] },
      { xs: [3, 64, 2, 50], o: 64, k: [1, 6], padding: 0 as ConvOptions2d['padding'] },
      { xs: [1, 130, 1, 64], o: 132, k: [1, 9], padding: [0, 0, 2, 7] as ConvOptions2d['padding'] },
      { xs: [1, 64, 3, 29], o: 68, k: [1, 9], padding: 'same' as ConvOptions2d['padding'] },
    ])('Winograd $k layer $xs → $o (padding $padding): forward, bias, fused relu', ({ xs, o, k, padding }) => {
      const ws = [o, xs[1]!, ...k];
      const x = rand(xs, 80), w = rand(ws, 81, -0.1, 0.1), b = rand([o], 82);
      const g = conv2dGeometry('conv2d', xs, ws, { padding });
      const want = ref.conv2d(x, w, b, { padding: [g.padTop, g.padBottom, g.padLeft, g.padRight] });
      expectClose(runKernel(be, 'conv2d', { x, w, b }, { geometry: g }, { y: g.yShape })[0]!, want, 2e-5, 'conv2d');
      const relu = f64(want.shape, want.data.map((v) => Math.max(v, 0)));
      expectClose(runKernel(be, 'conv2dFused', { x, w, b }, { geometry: g, activation: 'relu' }, { y: g.yShape })[0]!, relu, 2e-5, 'conv2dFused');
    });

    it.each([
      { xs: [1, 128, 6, 6], ws: [128, 128, 3, 3], padding: [1, 1, 1, 1] as const },
      { xs: [1, 128, 1, 40], ws: [128, 128, 1, 9], padding: [0, 0, 4, 4] as const },
    ])('Winograd layers $ws whose input could overflow the transforms, or holds an infinity or NaN, take the direct sum', ({ xs, ws, padding }) => {
      const w = rand(ws, 91, -0.1, 0.1);
      const g = conv2dGeometry('conv2d', xs, ws, { padding: [...padding] });
      const opts = { padding };
      // 3e35 · 0.1 · 128 · 9 stays finite in float32 as a direct sum; the transforms' bounds
      // (81·C·|x|·|w| for 3×3, 63·C·3·|x|·|w| for 1×9) do not
      const huge = rand(xs, 92, -3e35, 3e35);
      expectClose(runKernel(be, 'conv2d', { x: huge, w }, { geometry: g }, { y: g.yShape })[0]!, ref.conv2d(huge, w, undefined, opts), 2e-5, 'huge');
      for (const bad of [Infinity, NaN]) {
        const x = rand(xs, 93);
        x.data[5 * 36 + 14] = bad;
        const got = runKernel(be, 'conv2d', { x, w }, { geometry: g }, { y: g.yShape })[0]!;
        const want = ref.conv2d(x, w, undefined, opts);
        for (let i = 0; i < want.data.length; i++) {
          if (Number.isFinite(want.data[i])) expect(Math.abs(got.data[i]! - want.data[i]!)).toBeLessThan(1e-3);
          else expect(got.data[i], `output ${i}`).toBe(want.data[i]);
        }
      }
    });

    it('reverseSpatial flips the last two axes', () => {
      const x = rand([2, 3, 4, 5], 1);
      const want = f64(x.shape);
      for (let p = 0; p < 6; p++) for (let i = 0; i < 20; i++) want.data[p * 20 + i] = x.data[p * 20 + 19 - i]!;
      expectClose(runKernel(be, 'reverseSpatial', { x }, {}, { y: x.shape })[0]!, want, 0);
    });

    for (const [i, c] of poolCases.entries()) {
      it(`pools case ${i}: max and average (both divisor rules), forward and backward`, () => {
        const x = rand(c.x, 50 + i);
        const g = pool2dGeometry('maxPool2d', c.x, c.o);
        const refOpts = { kernelSize: c.o.kernelSize, stride: c.o.stride, padding: c.o.padding, dilation: c.o.dilation, ceilMode: c.o.ceilMode };
        expectClose(runKernel(be, 'maxPool2d', { x }, { geometry: g }, { y: g.yShape })[0]!, ref.maxPool2d(x, refOpts), 0, 'max');
        const dy = rand(g.yShape, 60 + i);
        const dxMax = runKernel(be, 'maxPool2dBackward', { dy, x }, { geometry: g }, { dx: g.xShape })[0]!;
        expectClose(dxMax, finiteDiff((xv) => ref.maxPool2d(xv, refOpts), x, dy), 1e-4, 'max dx');
        if (c.o.dilation) return; // average pooling has no dilation
        for (const countIncludePad of [false, true]) {
          const o = { ...refOpts, countIncludePad };
          expectClose(runKernel(be, 'avgPool2d', { x }, { geometry: g, countIncludePad }, { y: g.yShape })[0]!, ref.avgPool2d(x, o), 1e-6, 'avg');
          const dxAvg = runKernel(be, 'avgPool2dBackward', { dy }, { geometry: g, countIncludePad }, { dx: g.xShape })[0]!;
          expectClose(dxAvg, finiteDiff((xv) => ref.avgPool2d(xv, o), x, dy), 1e-4, 'avg dx');
        }
      });
    }

    it('global average pool', () => {
      const x = rand([2, 3, 5, 7], 3);
      expectClose(runKernel(be, 'globalAvgPool', { x }, {}, { y: [2, 3, 1, 1] })[0]!, ref.globalAvgPool2d(x), 1e-6);
    });

    it('batch norm: training statistics, inference (plain and fused relu), backward', () => {
      const shape = [3, 4, 5, 3];
      const x = rand(shape, 5, 1, 3), scale = rand([4], 6), offset = rand([4], 7);
      const eps = 1e-5;
      const zeros = f64([4]), ones = f64([4], [1, 1, 1, 1]);
      const fwd = (xv: F64, s = scale, o = offset) => ref.batchNorm(xv, zeros, ones, s, o, { training: true, eps }).y;
      const [y, mean, variance] = runKernel(be, 'batchNormTraining', { x, scale, offset }, { eps }, { y: shape, mean: [4], variance: [4] });
      expectClose(y!, fwd(x), 1e-5, 'y');
      const st = ref.channelStats(x);
      expectClose(mean!, f64([4], st.mean), 1e-6, 'mean');
      expectClose(variance!, f64([4], st.variance), 1e-5, 'variance');
      const inf = runKernel(be, 'batchNormInference', { x, mean: mean!, variance: variance!, scale, offset }, { eps }, { y: shape })[0]!;
      expectClose(inf, fwd(x), 1e-5, 'inference');
      const fused = runKernel(be, 'batchNormInferenceFused', { x, mean: mean!, variance: variance! }, { eps, activation: 'relu' }, { y: shape })[0]!;
      const plain = ref.batchNorm(x, zeros, ones, undefined, undefined, { training: true, eps }).y;
      expectClose(fused, f64(shape, plain.data.map((v) => Math.max(v, 0))), 1e-5, 'fused');
      const dy = rand(shape, 8);
      const [dx, dscale, doffset] = runKernel(be, 'batchNormBackward', { dy, x, mean: mean!, variance: variance!, scale }, { eps }, { dx: shape, dscale: [4], doffset: [4] });
      expectClose(dx!, finiteDiff((xv) => fwd(xv), x, dy), 2e-4, 'dx');
      expectClose(dscale!, finiteDiff((s) => fwd(x, s), scale, dy), 2e-4, 'dscale');
      expectClose(doffset!, finiteDiff((o) => fwd(x, scale, o), offset, dy), 2e-4, 'doffset');
    });

    it('group norm (and instance norm) forward and backward', () => {
      for (const groups of [2, 6]) {
        const shape = [2, 6, 3, 4];
        const x = rand(shape, 9 + groups), weight = rand([6], 10), bias = rand([6], 11);
        const eps = 1e-5;
        const fwd = (xv: F64, wv = weight, bv = bias) => ref.groupNorm(xv, groups, wv, bv, { eps });
        const [y, mean, variance] = runKernel(be, 'groupNorm', { x, weight, bias }, { numGroups: groups, eps }, { y: shape, mean: [2, groups], variance: [2, groups] });
        expectClose(y!, fwd(x), 1e-5, 'y');
        const dy = rand(shape, 12);
        const [dx, dw, db] = runKernel(be, 'groupNormBackward', { dy, x, mean: mean!, variance: variance!, weight }, { numGroups: groups, eps }, { dx: shape, dweight: [6], dbias: [6] });
        expectClose(dx!, finiteDiff((xv) => fwd(xv), x, dy), 2e-4, 'dx');
        expectClose(dw!, finiteDiff((wv) => fwd(x, wv), weight, dy), 2e-4, 'dweight');
        expectClose(db!, finiteDiff((bv) => fwd(x, weight, bv), bias, dy), 2e-4, 'dbias');
      }
    });

    it('layer norm forward and backward', () => {
      const shape = [3, 2, 13], D = 26;
      const x = rand(shape, 13), weight = rand([2, 13], 14), bias = rand([2, 13], 15);
      const eps = 1e-5;
      const fwd = (xv: F64, wv = weight, bv = bias) => ref.layerNorm(xv, [2, 13], wv, bv, { eps });
      const [y, mean, variance] = runKernel(be, 'layerNorm', { x, weight, bias }, { rowSize: D, eps }, { y: shape, mean: [3], variance: [3] });
      expectClose(y!, fwd(x), 1e-5, 'y');
      const dy = rand(shape, 16);
      const [dx, dw, db] = runKernel(be, 'layerNormBackward', { dy, x, mean: mean!, variance: variance!, weight }, { rowSize: D, eps }, { dx: shape, dweight: [D], dbias: [D] });
      expectClose(dx!, finiteDiff((xv) => fwd(xv), x, dy), 2e-4, 'dx');
      expectClose(dw!, f64([D], finiteDiff((wv) => fwd(x, wv), weight, dy).data), 2e-4, 'dweight');
      expectClose(db!, f64([D], finiteDiff((bv) => fwd(x, weight, bv), bias, dy).data), 2e-4, 'dbias');
    });

    it('layer norm backward over long rows (several float32 chunks, a tail) without affine weights', () => {
      const shape = [2, 2 * 1030 + 3], D = 2063;
      const x = rand(shape, 21, 0.5, 2.5), dy = rand(shape, 22);
      const eps = 1e-5;
      const fwd = (xv: F64) => ref.layerNorm(xv, [D], undefined, undefined, { eps });
      const [, mean, variance] = runKernel(be, 'layerNorm', { x }, { rowSize: D, eps }, { y: shape, mean: [2], variance: [2] });
      const [dx, dw, db] = runKernel(be, 'layerNormBackward', { dy, x, mean: mean!, variance: variance! }, { rowSize: D, eps }, { dx: shape, dweight: [D], dbias: [D] });
      expectClose(dx!, finiteDiff(fwd, x, dy), 2e-4, 'dx');
      // with unit weight and zero bias, dweight = Σ dy·x̂ and dbias = Σ dy over the rows
      const xhat = fwd(x);
      expectClose(dw!, f64([D], Array.from({ length: D }, (_, j) => dy.data[j]! * xhat.data[j]! + dy.data[D + j]! * xhat.data[D + j]!)), 1e-5, 'dweight');
      expectClose(db!, f64([D], Array.from({ length: D }, (_, j) => dy.data[j]! + dy.data[D + j]!)), 1e-6, 'dbias');
    });

    it('FRN, FRN+TLU, TLU forward and backward', () => {
      const shape = [2, 3, 4, 5];
      const x = rand(shape, 17), weight = rand([3], 18), bias = rand([3], 19), tau = rand([3], 20, -0.5, 0.5);
      for (const e of [1e-3, -2e-3]) {
        const eps = f64([1], [e]);
        const fwd = (xv: F64, wv = weight, bv = bias, ev = e) => ref.frn(xv, wv, bv, { eps: ev });
        const [y, nu2] = runKernel(be, 'frn', { x, eps, weight, bias }, {}, { y: shape, nu2: [2, 3] });
        expectClose(y!, fwd(x), 1e-5, 'frn');
        const want = fwd(x);
        const tlued = f64(shape, want.data.map((v, i) => Math.max(v, tau.data[Math.floor(i / 20) % 3]!)));
        expectClose(runKernel(be, 'frnTlu', { x, eps, tau, weight, bias }, {}, { y: shape })[0]!, tlued, 1e-5, 'frnTlu');
        const dy = rand(shape, 21);
        const [dx, dw, db, deps] = runKernel(be, 'frnBackward', { dy, x, nu2: nu2!, eps, weight }, {}, { dx: shape, dweight: [3], dbias: [3], deps: [1] });
        expectClose(dx!, finiteDiff((xv) => fwd(xv), x, dy), 2e-4, 'dx');
        expectClose(dw!, finiteDiff((wv) => fwd(x, wv), weight, dy), 2e-4, 'dweight');
        expectClose(db!, finiteDiff((bv) => fwd(x, weight, bv), bias, dy), 2e-4, 'dbias');
        expectClose(deps!, finiteDiff((ev) => fwd(x, weight, bias, ev.data[0]!), eps, dy), 2e-3, 'deps');
      }
      const y = runKernel(be, 'tlu', { x, tau }, {}, { y: shape })[0]!;
      expectClose(y, ref.tlu(x, tau), 0, 'tlu');
      const dy = rand(shape, 22);
      const [dx, dtau] = runKernel(be, 'tluBackward', { dy, x, tau }, {}, { dx: shape, dtau: [3] });
      expectClose(dx!, finiteDiff((xv) => ref.tlu(xv, tau), x, dy), 1e-4, 'tlu dx');
      expectClose(dtau!, finiteDiff((tv) => ref.tlu(x, tv), tau, dy), 1e-4, 'dtau');
    });

    it('relu, sigmoid, tanh, unary and scalar ops, fill', () => {
      const x = rand([3, 37], 23, -3, 3);
      const pos = rand([3, 37], 24, 0.1, 4);
      const cases: [string, F64, (v: number) => number, object?][] = [
        ['relu', x, (v) => Math.max(v, 0)], ['sigmoid', x, (v) => 1 / (1 + Math.exp(-v))], ['tanh', x, Math.tanh],
        ['neg', x, (v) => -v], ['abs', x, Math.abs], ['exp', x, Math.exp], ['sqrt', pos, Math.sqrt], ['log', pos, Math.log],
        ['addScalar', x, (v) => v + 1.5, { value: 1.5 }], ['mulScalar', x, (v) => v * -2, { value: -2 }],
        ['rdivScalar', pos, (v) => 3 / v, { value: 3 }], ['maximumScalar', x, (v) => Math.max(v, 0.25), { value: 0.25 }],
        ['minimumScalar', x, (v) => Math.min(v, 0.25), { value: 0.25 }],
      ];
      for (const [name, input, fn, attrs] of cases) {
        const got = runKernel(be, name as 'relu', { x: input }, attrs ?? {}, { y: input.shape })[0]!;
        expectClose(got, f64(input.shape, input.data.map(fn)), 2e-6, name);
      }
      const a2 = rand([3, 37], 26);
      const scaled = runKernel(be, 'scaledAdd', { a: x, b: a2 }, { alpha: 0.9, beta: -0.3 }, { y: x.shape })[0]!;
      expectClose(scaled, f64(x.shape, x.data.map((v, i) => 0.9 * v - 0.3 * a2.data[i]!)), 1e-6, 'scaledAdd');
      const filled = runKernel(be, 'fill', {}, { value: 2.5 }, { y: [5, 3] })[0]!;
      expect(Array.from(filled.data)).toEqual(new Array(15).fill(2.5));
      const dy = rand([3, 37], 25);
      expectClose(runKernel(be, 'reluBackward', { dy, x }, {}, { dx: x.shape })[0]!, f64(x.shape, dy.data.map((d, i) => (x.data[i]! > 0 ? d : 0))), 0);
    });

    it('binary ops with broadcasting, broadcastTo, transpose, sum, concat, slice', () => {
      const shapes: [number[], number[]][] = [[[4, 5], [4, 5]], [[2, 3, 9], [9]], [[2, 1, 6], [3, 1]], [[5, 1], [1, 7]], [[2, 3, 1, 2, 1, 5], [3, 2, 4, 5]], [[3, 2], []]];
      const ops: [string, (a: number, b: number) => number][] = [
        ['add', (a, b) => a + b], ['sub', (a, b) => a - b], ['mul', (a, b) => a * b], ['div', (a, b) => a / b],
        ['maximum', Math.max], ['minimum', Math.min],
      ];
      for (const [i, [sa, sb]] of shapes.entries()) {
        const a = rand(sa, 30 + i), b = rand(sb, 40 + i, 0.5, 2);
        const out = ref.broadcastShape(sa, sb);
        const ax = broadcastIndex(sa, out), bx = broadcastIndex(sb, out);
        for (const [name, fn] of ops) {
          const want = f64(out, Array.from({ length: numel(out) }, (_, k) => fn(a.data[ax[k]!]!, b.data[bx[k]!]!)));
          expectClose(runKernel(be, name as 'add', { a, b }, { outShape: out }, { y: out })[0]!, want, 1e-6, `${name} ${sa}|${sb}`);
        }
        const bt = runKernel(be, 'broadcastTo', { x: a }, { shape: out }, { y: out })[0]!;
        expectClose(bt, f64(out, ax.map((k) => a.data[k]!)), 0, 'broadcastTo');
      }
      const x = rand([2, 3, 4, 5, 2], 50);
      for (const perm of [[1, 0, 2, 3, 4], [4, 3, 2, 1, 0], [0, 2, 1, 4, 3], [2, 0, 4, 1, 3]]) {
        const outShape = perm.map((p) => x.shape[p]!);
        const want = f64(outShape);
        const xs = [120, 40, 10, 2, 1];
        for (let k = 0; k < want.data.length; k++) {
          let rem = k, off = 0;
          for (let d = 4; d >= 0; d--) {
            off += (rem % outShape[d]!) * xs[perm[d]!]!;
            rem = Math.floor(rem / outShape[d]!);
          }
          want.data[k] = x.data[off]!;
        }
        expectClose(runKernel(be, 'transpose', { x }, { perm }, { y: outShape })[0]!, want, 0, `transpose ${perm}`);
      }
      for (const axes of [[0], [4], [1, 3], [0, 2, 4], [0, 1, 2, 3, 4], [1, 2]]) {
        const outShape = x.shape.map((s, i) => (axes.includes(i) ? 1 : s));
        expectClose(runKernel(be, 'sum', { x }, { axes, outShape }, { y: outShape })[0]!, f64(outShape, ref.reduceSum(x, axes, true).data), 1e-6, `sum ${axes}`);
      }
      const a = rand([2, 3, 4], 51), b = rand([2, 5, 4], 52);
      const cat = runKernel(be, 'concat', { a, b }, { outer: 2, aSize: 3, bSize: 5, inner: 4 }, { y: [2, 8, 4] })[0]!;
      for (let o = 0; o < 2; o++) {
        expect(Array.from(cat.data.slice(o * 32, o * 32 + 12))).toEqual(Array.from(a.data.slice(o * 12, o * 12 + 12)).map(Math.fround));
        expect(Array.from(cat.data.slice(o * 32 + 12, o * 32 + 32))).toEqual(Array.from(b.data.slice(o * 20, o * 20 + 20)).map(Math.fround));
      }
      const sl = runKernel(be, 'slice', { x: b }, { outer: 2, axisSize: 5, inner: 4, begin: 1, size: 3 }, { y: [2, 3, 4] })[0]!;
      for (let o = 0; o < 2; o++) {
        expect(Array.from(sl.data.slice(o * 12, o * 12 + 12))).toEqual(Array.from(b.data.slice(o * 20 + 4, o * 20 + 16)).map(Math.fround));
      }
    });

    it('linear and matMul with every transpose combination', () => {
      for (const [M, K, N] of [[5, 7, 9], [8, 16, 24], [1, 3, 1], [13, 33, 17]] as const) {
        const x = rand([M, K], 60 + M), w = rand([N, K], 61 + N), b = rand([N], 62);
        expectClose(runKernel(be, 'linear', { x, w, b }, {}, { y: [M, N] })[0]!, ref.linear(x, w, b), 1e-5, 'linear');
        const a = rand([M, K], 63), bm = rand([K, N], 64);
        const want = ref.linear(a, f64([N, K], transposeData(bm.data, K, N)));
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const av = ta ? f64([K, M], transposeData(a.data, M, K)) : a;
          const bv = tb ? f64([N, K], transposeData(bm.data, K, N)) : bm;
          expectClose(runKernel(be, 'matMul', { a: av, b: bv }, { transposeA: ta, transposeB: tb }, { y: [M, N] })[0]!, want, 1e-5, `matMul ${ta} ${tb}`);
        }
      }
    });

    it('softmax, logSoftmax (any axis) and their gradients, argmax, cross-entropy', () => {
      const x = rand([3, 5, 4], 70, -3, 3);
      for (const dim of [0, 1, 2]) {
        const attrs = { outer: x.shape.slice(0, dim).reduce((p, q) => p * q, 1), axisSize: x.shape[dim]!, inner: x.shape.slice(dim + 1).reduce((p, q) => p * q, 1) };
        for (const [name, fn] of [['softmax', ref.softmax], ['logSoftmax', ref.logSoftmax]] as const) {
          const y = runKernel(be, name, { x }, attrs, { y: x.shape })[0]!;
          expectClose(y, fn(x, dim), 1e-6, `${name} ${dim}`);
          const dy = rand(x.shape, 71);
          const dx = runKernel(be, `${name}Backward`, { dy, y }, attrs, { dx: x.shape })[0]!;
          expectClose(dx, finiteDiff((xv) => fn(xv, dim), x, dy), 1e-4, `${name}Backward ${dim}`);
        }
        const am = runKernel(be, 'argmax', { x }, attrs, { y: [attrs.outer * attrs.inner] })[0]!;
        for (let o = 0; o < attrs.outer; o++) {
          for (let j = 0; j < attrs.inner; j++) {
            let best = 0;
            for (let k = 1; k < attrs.axisSize; k++) if (x.data[(o * attrs.axisSize + k) * attrs.inner + j]! > x.data[(o * attrs.axisSize + best) * attrs.inner + j]!) best = k;
            expect(am.data[o * attrs.inner + j]).toBe(best);
          }
        }
      }
      const logits = rand([4, 6], 72, -2, 2), labels = f64([4], [0, 5, 2, 2]);
      const loss = runKernel(be, 'softmaxCrossEntropy', { logits, labels }, {}, { loss: [] })[0]!;
      expectClose(loss, ref.crossEntropy(logits, labels.data), 1e-6, 'loss');
      const dyLoss = f64([], [0.7]);
      const dl = runKernel(be, 'softmaxCrossEntropyBackward', { logits, labels, dy: dyLoss }, {}, { dlogits: [4, 6] })[0]!;
      expectClose(dl, finiteDiff((lv) => ref.crossEntropy(lv, labels.data), logits, dyLoss), 1e-4, 'dlogits');
    });

    it('maximum/minimum: NaN propagates and signed zeros order as Math.max/min, in vector and tail lanes', () => {
      const a = f64([6], [NaN, -0, 0, 1, -0, NaN]), b = f64([6], [1, 0, -0, NaN, 0, 2]);
      for (const [name, fn] of [['maximum', Math.max], ['minimum', Math.min]] as const) {
        const got = runKernel(be, name, { a, b }, { outShape: [6] }, { y: [6] })[0]!;
        const want = Array.from(a.data, (v, i) => fn(v, b.data[i]!));
        expect(Array.from(got.data).map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(want.map((v) => Object.is(v, -0) ? '-0' : String(v)));
        const s = runKernel(be, `${name}Scalar`, { x: a }, { value: 0 }, { y: [6] })[0]!;
        const ws = Array.from(a.data, (v) => fn(v, 0));
        expect(Array.from(s.data).map((v) => Object.is(v, -0) ? '-0' : String(v))).toEqual(ws.map((v) => Object.is(v, -0) ? '-0' : String(v)));
      }
    });

    it('filter gradient: an infinity in a row\'s last columns stays infinite (the vector step over a row\'s last 4 columns adds no 0·∞)', () => {
      // 1×3 taps on 7-column rows: 5 output columns, the last one in a step over columns 1..4
      const shape = [1, 1, 2, 7], wShape = [1, 1, 1, 3];
      const g = conv2dGeometry('conv2d', shape, wShape, {});
      const dy = rand(g.yShape, 97, 0.1, 1);
      for (const col of [1, 2, 3, 4, 5]) {
        const x = rand(shape, 98, 0.1, 1);
        x.data[col] = Infinity;
        const got = runKernel(be, 'conv2dBackpropFilter', { x, dy }, { geometry: g }, { dw: wShape })[0]!;
        // dw[kx] = Σ dy[oy, ox]·x[oy, ox + kx], in float64
        const want = [0, 1, 2].map((kx) => {
          let sum = 0;
          for (let oy = 0; oy < 2; oy++) for (let ox = 0; ox < 5; ox++) sum += dy.data[oy * 5 + ox]! * x.data[oy * 7 + ox + kx]!;
          return sum;
        });
        expect(want.some((v) => v === Infinity)).toBe(true);
        for (let kx = 0; kx < 3; kx++) {
          if (Number.isFinite(want[kx]!)) expect(got.data[kx]!, `∞ at column ${col}, tap ${kx}`).toBeCloseTo(want[kx]!, 4);
          else expect(got.data[kx], `∞ at column ${col}, tap ${kx}`).toBe(want[kx]);
        }
      }
    });

    it('max pooling: a NaN in a window gives NaN there only, on the vector paths (stride 2, 2- and 3-wide, padded column 0) and the scan', () => {
      const shape = [1, 2, 9, 30];
      const x = rand(shape, 90);
      // plane 0: NaN at column 0, in the middle of a row, and at the row's last column; plane 1: +∞ and −∞
      for (const [i, v] of [[0, NaN], [3 * 30 + 13, NaN], [6 * 30 + 29, NaN], [270 + 2 * 30 + 7, Infinity], [270 + 2 * 30 + 9, -Infinity]] as const) x.data[i] = v;
      for (const o of [{ kernelSize: 2 }, { kernelSize: 3, stride: 2, padding: 1 }, { kernelSize: 3, stride: 2 }, { kernelSize: 3, stride: 1, padding: 1 }] as PoolOptions2d[]) {
        const g = pool2dGeometry('maxPool2d', shape, o);
        const got = runKernel(be, 'maxPool2d', { x }, { geometry: g }, { y: g.yShape })[0]!;
        const want = ref.maxPool2d(x, { kernelSize: o.kernelSize, stride: o.stride, padding: o.padding });
        expect(want.data.some((v) => Number.isNaN(v))).toBe(true);
        expect(Array.from(got.data).map(String)).toEqual(Array.from(want.data, (v) => String(Math.fround(v))));
      }
    });

    it('3×3 stride-2 max pooling: one NaN at any column of a row reaches exactly the windows that hold it (groups share their edge column)', () => {
      const shape = [1, 1, 7, 41];
      const base = rand(shape, 95);
      for (const o of [{ kernelSize: 3, stride: 2, padding: 1 }, { kernelSize: 3, stride: 2 }] as PoolOptions2d[]) {
        const g = pool2dGeometry('maxPool2d', shape, o);
        for (const row of [2, 3]) {
          for (let col = 0; col < 41; col++) {
            const x = f64(shape, base.data.slice());
            x.data[row * 41 + col] = NaN;
            const got = runKernel(be, 'maxPool2d', { x }, { geometry: g }, { y: g.yShape })[0]!;
            const want = ref.maxPool2d(x, { kernelSize: 3, stride: 2, padding: o.padding });
            expect(Array.from(got.data).map(String), `${JSON.stringify(o)} NaN at ${row},${col}`).toEqual(Array.from(want.data, (v) => String(Math.fround(v))));
          }
        }
      }
    });

    it('max pooling backward: dy goes to the first maximum of a tie, or the last NaN (PyTorch), on the 2×2 vector path and the scan', () => {
      // windows (2 rows × 2 columns): tie on top, tie across rows, NaN twice, NaN under a larger value, a plain maximum
      const rows = [
        [1, 1, 0, 2, NaN, 1, 5, 9, 3, 0, 7, 1],
        [0, 0, 2, 0, NaN, 0, NaN, 0, 0, 3, 2, 8],
      ];
      for (const W of [12, 10, 6]) {
        const data = [...rows[0]!.slice(0, W), ...rows[1]!.slice(0, W)];
        const x = f64([1, 1, 2, W], data);
        const OW = W / 2;
        const dy = f64([1, 1, 1, OW], Array.from({ length: OW }, (_, i) => i + 1));
        const want = f64(x.shape);
        for (let j = 0; j < OW; j++) {
          let m = -Infinity, arg = -1;
          for (const i of [2 * j, 2 * j + 1, W + 2 * j, W + 2 * j + 1]) {
            if (data[i]! > m || Number.isNaN(data[i]!)) [m, arg] = [data[i]!, i];
          }
          want.data[arg] = dy.data[j]!;
        }
        const g = pool2dGeometry('maxPool2d', x.shape, { kernelSize: 2 });
        const got = runKernel(be, 'maxPool2dBackward', { dy, x }, { geometry: g }, { dx: x.shape })[0]!;
        expect(Array.from(got.data), `W ${W}`).toEqual(Array.from(want.data));
      }
    });

    it('argmax: first of ties, NaN counts as the largest', () => {
      const x = f64([2, 4], [1, 3, 3, 2, 0, NaN, 5, NaN]);
      const y = runKernel(be, 'argmax', { x }, { outer: 2, axisSize: 4, inner: 1 }, { y: [2] })[0]!;
      expect(Array.from(y.data)).toEqual([1, 1]);
    });

    it('optimizer steps: SGD, SGD with momentum (nesterov, first step), Adam/AdamW, AGC', () => {
      const p = rand([7, 11], 80), g = rand([7, 11], 81), buf = rand([7, 11], 82);
      const sgd = runKernel(be, 'sgdStep', { param: p, grad: g }, { lr: 0.1, weightDecay: 0.01 }, { param: p.shape })[0]!;
      expectClose(sgd, ref.sgdStep(p, g, undefined, { lr: 0.1, weightDecay: 0.01 }).param, 1e-6, 'sgd');
      for (const nesterov of [false, true]) {
        for (const b of [undefined, buf]) {
          const attrs = { lr: 0.05, momentum: 0.9, dampening: nesterov ? 0 : 0.1, weightDecay: 0.001, nesterov };
          const [np, nb] = runKernel(be, 'sgdMomentumStep', { param: p, grad: g, momentumBuffer: b }, attrs, { param: p.shape, momentumBuffer: p.shape });
          const want = ref.sgdStep(p, g, b, attrs);
          expectClose(np!, want.param, 1e-6, 'momentum param');
          expectClose(nb!, want.buffer!, 1e-6, 'momentum buffer');
        }
      }
      const m = rand([7, 11], 83), v = rand([7, 11], 84, 0, 0.1);
      for (const decoupled of [false, true]) {
        const a = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step: 3 };
        const [np, nm, nv] = runKernel(be, 'adamStep', { param: p, grad: g, m, v }, a, { param: p.shape, m: p.shape, v: p.shape });
        // PyTorch's Adam/AdamW written out in float64
        const wp = f64(p.shape), wm = f64(p.shape), wv = f64(p.shape);
        for (let i = 0; i < p.data.length; i++) {
          let pi = p.data[i]!, gi = g.data[i]!;
          if (decoupled) pi *= 1 - a.lr * a.weightDecay;
          else gi += a.weightDecay * pi;
          wm.data[i] = a.beta1 * m.data[i]! + (1 - a.beta1) * gi;
          wv.data[i] = a.beta2 * v.data[i]! + (1 - a.beta2) * gi * gi;
          const bc1 = 1 - a.beta1 ** a.step, bc2 = 1 - a.beta2 ** a.step;
          wp.data[i] = pi - (a.lr / bc1) * wm.data[i]! / (Math.sqrt(wv.data[i]!) / Math.sqrt(bc2) + a.eps);
        }
        expectClose(np!, wp, 1e-6, 'adam param');
        expectClose(nm!, wm, 1e-6, 'adam m');
        expectClose(nv!, wv, 1e-6, 'adam v');
      }
      const big = f64(g.shape, g.data.map((x, i) => (i < 22 ? x * 100 : x)));
      const clipped = runKernel(be, 'agcUnitClip', { param: p, grad: big }, { units: 7, unitSize: 11, clipping: 0.5, eps: 1e-3 }, { grad: p.shape })[0]!;
      expectClose(clipped, ref.agc(p, big, { clipping: 0.5, eps: 1e-3 }), 1e-6, 'agc');
    });
  });
}

function broadcastIndex(shape: readonly number[], out: readonly number[]): number[] {
  const lead = out.length - shape.length;
  return Array.from({ length: numel(out) }, (_, k) => {
    let rem = k, off = 0, stride = 1;
    for (let d = out.length - 1; d >= 0; d--) {
      const i = rem % out[d]!;
      rem = Math.floor(rem / out[d]!);
      if (d >= lead) {
        const s = shape[d - lead]!;
        if (s !== 1) off += i * stride;
        stride *= s;
      }
    }
    return off;
  });
}

function transposeData(d: Float64Array, R: number, C: number): Float64Array {
  const out = new Float64Array(R * C);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = d[r * C + c]!;
  return out;
}
