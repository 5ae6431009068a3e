import { conv2dGeometry, pool2dGeometry, type ConvOptions2d, type PoolOptions2d } from '@hypercolumn/core';
import { afterAll, describe, it } from 'vitest';
import { getGpu } from './gpu.js';
import { expectClose, f64, rand, ref, runKernel, vjp, type F64 } from './reference.js';

const gpu = await getGpu();

interface ConvCase {
  x: number[];
  w: number[];
  bias: boolean;
  opts: ConvOptions2d;
}

const convCases: ConvCase[] = [
  { x: [2, 3, 7, 6], w: [4, 3, 3, 3], bias: true, opts: { padding: 1 } },
  { x: [1, 4, 9, 8], w: [6, 2, 3, 2], bias: false, opts: { stride: 2, padding: 'same', groups: 2 } },
  { x: [2, 4, 8, 7], w: [4, 1, 3, 3], bias: true, opts: { dilation: 2, padding: [2, 1], groups: 4 } },
  { x: [1, 2, 5, 5], w: [3, 2, 1, 1], bias: true, opts: { stride: [2, 3] } },
  { x: [1, 1, 6, 5], w: [2, 1, 5, 5], bias: false, opts: { padding: [1, 2, 0, 1], stride: 3 } },
  { x: [3, 2, 1, 1], w: [2, 2, 1, 1], bias: true, opts: {} },
  // more than one block of 4 input channels (input gradient) and of 4 output channels (forward)
  { x: [1, 6, 5, 7], w: [9, 6, 3, 3], bias: false, opts: { stride: 2, padding: 1 } },
  // enough output positions that the filter gradient is split into several partial sums
  { x: [4, 2, 12, 11], w: [5, 2, 3, 3], bias: true, opts: { padding: 1 } },
  // one output channel per group (depthwise; dx of a one-channel input): vec4s over 4 images, 5 = 4 + 1
  { x: [5, 3, 6, 9], w: [3, 1, 3, 3], bias: true, opts: { padding: 1, groups: 3 } },
  { x: [5, 1, 7, 6], w: [3, 1, 5, 5], bias: false, opts: { padding: 2 } },
];

const label = (c: ConvCase): string => `x[${c.x}] w[${c.w}] ${JSON.stringify(c.opts)}${c.bias ? ' +b' : ''}`;

describe.skipIf(!gpu)('conv2d family on webgpu against the float64 reference', () => {
  afterAll(() => gpu?.flush());

  for (const [k, c] of convCases.entries()) {
    const x = rand(c.x, 10 + k), w = rand(c.w, 20 + k), b = c.bias ? rand([c.w[0]!], 30 + k) : undefined;
    const g = conv2dGeometry('conv2d', c.x, c.w, c.opts);
    const yShape = g.yShape;
    const dy = rand(yShape, 40 + k);
    const conv = (inputs: F64[]): F64 => ref.conv2d(inputs[0]!, inputs[1]!, b, c.opts);

    it(`conv2d ${label(c)}`, async () => {
      const [y] = await runKernel(gpu!, 'conv2d', { x, w, b }, { geometry: g }, { y: yShape });
      expectClose('conv2d', y!, ref.conv2d(x, w, b, c.opts), ref.magnitude(ref.conv2d, x, w, b, c.opts));
    });

    it(`conv2dFused relu ${label(c)}`, async () => {
      const [y] = await runKernel(gpu!, 'conv2dFused', { x, w, b }, { geometry: g, activation: 'relu' }, { y: yShape });
      expectClose('conv2dFused', y!, ref.relu(ref.conv2d(x, w, b, c.opts)), ref.magnitude(ref.conv2d, x, w, b, c.opts));
    });

    it(`conv2dBackpropInput ${label(c)}`, async () => {
      const [dx] = await runKernel(gpu!, 'conv2dBackpropInput', { dy, w }, { geometry: g }, { dx: c.x });
      const want = vjp(conv, [x, w], dy, 0, 0.5); // linear in x: the finite difference is exact
      expectClose('dx', dx!, want, want.magnitude);
    });

    it(`conv2dBackpropFilter ${label(c)}`, async () => {
      const [dw] = await runKernel(gpu!, 'conv2dBackpropFilter', { x, dy }, { geometry: g }, { dw: c.w });
      const want = vjp(conv, [x, w], dy, 1, 0.5);
      expectClose('dw', dw!, want, want.magnitude);
    });
  }

  it('reverseSpatial flips the last two axes', async () => {
    const x = rand([2, 3, 4, 5], 3);
    const [y] = await runKernel(gpu!, 'reverseSpatial', { x }, {}, { y: x.shape });
    const want = f64(x.shape);
    for (let p = 0; p < 6; p++) for (let h = 0; h < 4; h++) for (let v = 0; v < 5; v++) want.data[p * 20 + h * 5 + v] = x.data[p * 20 + (3 - h) * 5 + (4 - v)]!;
    expectClose('reverseSpatial', y!, want);
  });
});

/** Seeded random convolutions (every option at once), small enough for finite-difference references. */
function randomConvCases(count: number, seed: number): ConvCase[] {
  let state = seed;
  const int = (lo: number, hi: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return lo + Math.floor((state / 2147483648) * (hi - lo + 1)); // high bits: an LCG's low bits cycle fast
  };
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const groups = int(1, 2), kH = int(1, 4), kW = int(1, 5), dH = int(1, 2), dW = int(1, 3);
    const pad: [number, number, number, number] = [int(0, kH), int(0, kH), int(0, kW), int(0, kW)];
    const x = [int(1, 2), groups * int(1, 2), int(1, 7), int(1, 8)];
    const w = [groups * int(1, 5), x[1]! / groups, kH, kW];
    const opts: ConvOptions2d = { stride: [int(1, 2), int(1, 3)], dilation: [dH, dW], padding: pad, groups };
    try {
      conv2dGeometry('conv2d', x, w, opts);
    } catch {
      continue; // the window does not fit: draw again
    }
    cases.push({ x, w, bias: int(0, 1) === 1, opts });
  }
  return cases;
}

describe.skipIf(!gpu)('random convolutions on webgpu against the float64 reference', () => {
  for (const [k, c] of randomConvCases(12, 2026).entries()) {
    const x = rand(c.x, 110 + k), w = rand(c.w, 120 + k), b = c.bias ? rand([c.w[0]!], 130 + k) : undefined;
    const g = conv2dGeometry('conv2d', c.x, c.w, c.opts);
    const dy = rand(g.yShape, 140 + k);
    const conv = (inputs: F64[]): F64 => ref.conv2d(inputs[0]!, inputs[1]!, b, c.opts);
    it(`conv2d, dx, dw ${label(c)}`, async () => {
      const [y] = await runKernel(gpu!, 'conv2dFused', { x, w, b }, { geometry: g, activation: 'none' }, { y: g.yShape });
      expectClose('conv2d', y!, ref.conv2d(x, w, b, c.opts), ref.magnitude(ref.conv2d, x, w, b, c.opts));
      const [dx] = await runKernel(gpu!, 'conv2dBackpropInput', { dy, w }, { geometry: g }, { dx: c.x });
      const wantDx = vjp(conv, [x, w], dy, 0, 0.5);
      expectClose('dx', dx!, wantDx, wantDx.magnitude);
      const [dw] = await runKernel(gpu!, 'conv2dBackpropFilter', { x, dy }, { geometry: g }, { dw: c.w });
      const wantDw = vjp(conv, [x, w], dy, 1, 0.5);
      expectClose('dw', dw!, wantDw, wantDw.magnitude);
    });
  }
});

interface PoolCase {
  x: number[];
  opts: PoolOptions2d & { countIncludePad?: boolean };
}

const poolCases: PoolCase[] = [
  { x: [2, 3, 8, 8], opts: { kernelSize: 2 } },
  { x: [1, 2, 9, 7], opts: { kernelSize: 3, stride: 2, padding: 1 } },
  { x: [1, 2, 7, 7], opts: { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false } },
  { x: [2, 1, 8, 9], opts: { kernelSize: [2, 3], stride: [1, 2], padding: [1, 1], ceilMode: true } },
  { x: [1, 2, 10, 9], opts: { kernelSize: 3, stride: 1, dilation: 2 } },
  // rows a multiple of 4 long (max pooling reads them as vec4): a last block of 4 outputs that runs
  // past the row, stride 3 with dilation, and a ceil-mode window hanging over the edge
  { x: [1, 2, 6, 12], opts: { kernelSize: 3, stride: 1 } },
  { x: [1, 1, 9, 16], opts: { kernelSize: [2, 3], stride: [2, 3], dilation: [1, 2] } },
  { x: [2, 1, 7, 8], opts: { kernelSize: 3, stride: 2, ceilMode: true } },
];

describe.skipIf(!gpu)('pools on webgpu against the float64 reference', () => {
  for (const [k, c] of poolCases.entries()) {
    const x = rand(c.x, 50 + k);
    const g = pool2dGeometry('maxPool2d', c.x, c.opts);
    const dy = rand(g.yShape, 60 + k);
    const refOpts = { ...c.opts, kernelSize: c.opts.kernelSize, padding: c.opts.padding as number | number[] | undefined };
    const text = `x[${c.x}] ${JSON.stringify(c.opts)}`;

    it(`maxPool2d ${text}`, async () => {
      const [y] = await runKernel(gpu!, 'maxPool2d', { x }, { geometry: g }, { y: g.yShape });
      expectClose('maxPool2d', y!, ref.maxPool2d(x, refOpts));
    });

    it(`maxPool2dBackward ${text}`, async () => {
      const [dx] = await runKernel(gpu!, 'maxPool2dBackward', { dy, x }, { geometry: g }, { dx: c.x });
      const pool = (i: F64[]): F64 => ref.maxPool2d(i[0]!, refOpts);
      const want = vjp(pool, [x], dy, 0, 1e-6);
      expectClose('dx', dx!, want, want.magnitude);
    });

    if (c.opts.dilation) continue; // average pooling has no dilation
    for (const countIncludePad of [true, false]) {
      const o = { ...refOpts, countIncludePad };
      it(`avgPool2d countIncludePad=${countIncludePad} ${text}`, async () => {
        const [y] = await runKernel(gpu!, 'avgPool2d', { x }, { geometry: g, countIncludePad }, { y: g.yShape });
        expectClose('avgPool2d', y!, ref.avgPool2d(x, o), ref.magnitude(ref.avgPool2d, x, o));
      });
      it(`avgPool2dBackward countIncludePad=${countIncludePad} ${text}`, async () => {
        const [dx] = await runKernel(gpu!, 'avgPool2dBackward', { dy }, { geometry: g, countIncludePad }, { dx: c.x });
        const pool = (i: F64[]): F64 => ref.avgPool2d(i[0]!, o);
        const want = vjp(pool, [x], dy, 0, 0.5);
        expectClose('dx', dx!, want, want.magnitude);
      });
    }
  }

  it('globalAvgPool', async () => {
    const x = rand([2, 3, 5, 7], 70);
    const [y] = await runKernel(gpu!, 'globalAvgPool', { x }, {}, { y: [2, 3, 1, 1] });
    expectClose('globalAvgPool', y!, ref.globalAvgPool2d(x), ref.magnitude(ref.globalAvgPool2d, x));
  });
});
