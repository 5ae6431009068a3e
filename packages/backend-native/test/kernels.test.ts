/**
 * Kernels driven directly (no engine) on every instruction set this CPU runs, at 1 and 2 threads,
 * against the float64 reference of conformance-core or float64 loops written here from the
 * definitions. Covers what the conformance table does not reach (fused and optimizer kernels, the
 * data movers) and random convolution geometries for all three conv kernels.
 */
import { conv2dGeometry, pool2dGeometry, RandomGenerator, type Conv2dGeometry, type KernelName } from '@hypercolumn/core';
import { reference as ref } from '@hypercolumn/conformance-core';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeKernels, type NativeBackend, type NativeHandle } from '../src/index.js';
import { backends, skipReason } from './helpers.js';

// one placeholder row when skipped, so the skipped suite still shows its reason
const all = skipReason === undefined ? backends() : [{ label: 'unavailable', backend: undefined as unknown as NativeBackend }];
afterAll(() => all.forEach(({ backend }) => backend?.dispose()));

const rng = new RandomGenerator(1234);
const randn = (n: number) =>
  Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat()));
const uniform = () => rng.nextFloat();
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const f64 = (shape: number[], data: ArrayLike<number>) => ref.f64(shape, data);

/** DESIGN §3 tolerance: |got − want| ≤ 1e-5·m + 1e-4·|want|, m the magnitude of the summed terms. */
function expectClose(got: Float32Array, want: ArrayLike<number>, magnitude: ArrayLike<number> | number, what: string) {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const m = typeof magnitude === 'number' ? magnitude : magnitude[i]!;
    const tol = 1e-5 * Math.max(m, 1) + 1e-4 * Math.abs(want[i]!);
    if (!(Math.abs(got[i]! - want[i]!) <= tol)) throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (tol ${tol})`);
  }
}

type Inputs = Record<string, { data: Float32Array; shape: number[] } | undefined>;
/** Runs one kernel on `b` and reads every output back (handles freed). */
function run(b: NativeBackend, k: KernelName, inputs: Inputs, attrs: unknown, outShapes: Record<string, number[]>): Float32Array[] {
  const handles: NativeHandle[] = [];
  const ins: Record<string, { data: NativeHandle; shape: number[] }> = {};
  for (const [n, t] of Object.entries(inputs)) {
    if (!t) continue;
    const h = b.write(t.data, t.shape);
    handles.push(h);
    ins[n] = { data: h, shape: t.shape };
  }
  const out = (nativeKernels[k] as any)(ins, attrs, b, outShapes);
  const outs: NativeHandle[] = Array.isArray(out) ? out : [out];
  const values = outs.map((h) => b.readSync(h, h.size));
  [...handles, ...outs].forEach((h) => b.free(h));
  return values;
}

/** Float64 backward of a correlation, from the forward definition (each product's two partials). */
function convBackwardRef(g: Conv2dGeometry, x: Float32Array, w: Float32Array, dy: Float32Array) {
  const dx = new Float64Array(x.length), dw = new Float64Array(w.length);
  const mx = new Float64Array(x.length), mw = new Float64Array(w.length);
  const cg = g.inChannels / g.groups, og = g.outChannels / g.groups;
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < g.outChannels; o++)
      for (let oy = 0; oy < g.outHeight; oy++)
        for (let ox = 0; ox < g.outWidth; ox++) {
          const d = dy[((n * g.outChannels + o) * g.outHeight + oy) * g.outWidth + ox]!;
          for (let c = 0; c < cg; c++)
            for (let ky = 0; ky < g.kernelHeight; ky++)
              for (let kx = 0; kx < g.kernelWidth; kx++) {
                const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
                const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
                if (iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth) continue;
                const xi = ((n * g.inChannels + Math.floor(o / og) * cg + c) * g.inHeight + iy) * g.inWidth + ix;
                const wi = ((o * cg + c) * g.kernelHeight + ky) * g.kernelWidth + kx;
                dx[xi] += d * w[wi]!;
                dw[wi] += d * x[xi]!;
                mx[xi] += Math.abs(d * w[wi]!);
                mw[wi] += Math.abs(d * x[xi]!);
              }
        }
  return { dx, dw, mx, mw };
}

/** Random conv geometries: strides, dilations, groups (depthwise included), 1×1, asymmetric pads, 1-d. */
function randomConvCases(count: number) {
  const cases: { x: number[]; w: number[]; opts: Record<string, unknown> }[] = [
    { x: [1, 8, 9, 11], w: [16, 8, 3, 3], opts: { padding: 1 } },
    { x: [2, 3, 13, 12], w: [5, 3, 7, 7], opts: { stride: 2, padding: 3 } },
    { x: [1, 6, 10, 10], w: [6, 1, 3, 3], opts: { groups: 6, padding: 1 } },
    { x: [2, 12, 5, 7], w: [9, 12, 1, 1], opts: {} },
    { x: [1, 4, 1, 40], w: [6, 4, 1, 9], opts: { padding: [0, 4] } },
    { x: [3, 1, 12, 12], w: [6, 1, 5, 5], opts: { padding: 2 } },
    { x: [1, 4, 9, 9], w: [4, 2, 3, 3], opts: { groups: 2, dilation: 2, padding: [1, 2, 0, 3] } },
    { x: [1, 2, 6, 6], w: [3, 2, 1, 1], opts: { padding: 2 } },
    { x: [1, 3, 8, 8], w: [70, 3, 2, 2], opts: { stride: 3 } },
    // narrow layers with output channels in multiples of 16: AVX-512 puts the channels in the lanes
    // (blocks of 48 and a last one of 16 or 32; a short last pixel tile; groups, dilation, uneven pads)
    { x: [2, 8, 6, 7], w: [64, 8, 3, 3], opts: { padding: 1 } },
    { x: [1, 6, 9, 8], w: [64, 3, 3, 3], opts: { groups: 2, dilation: 2, padding: [1, 2, 2, 1] } },
    { x: [1, 5, 4, 4], w: [48, 5, 1, 1], opts: { padding: 1 } },
    // 3×3 stride-1 layers of ≥ 32 channels in and out take Winograd F(2×2, 3×3) (AVX-512, AVX2): odd output
    // sizes (half tiles), rows of tiles past one vector and masked tails, both channel blocks (64s; 48s
    // with a narrower last), groups, uneven pads, bias and ReLU
    { x: [2, 32, 9, 11], w: [48, 32, 3, 3], opts: { padding: 1 } },
    { x: [1, 64, 8, 21], w: [64, 32, 3, 3], opts: { groups: 2, padding: [0, 2, 1, 0] } },
    { x: [1, 40, 6, 40], w: [128, 40, 3, 3], opts: {} },
    { x: [1, 33, 7, 7], w: [80, 33, 3, 3], opts: { padding: 1 } },
    // ≥ 72 tiles of a narrow layer: units of 36 tiles run all three stages on one core (runs of a
    // tile row that wrap into the next row and the next image, a short last unit, groups)
    { x: [2, 32, 13, 19], w: [48, 32, 3, 3], opts: { padding: 1 } },
    { x: [1, 64, 16, 22], w: [64, 32, 3, 3], opts: { groups: 2, padding: [2, 0, 1, 1] } },
    // conv A's 64 → 64 (the 6 × 64 tile)
    { x: [1, 64, 18, 19], w: [64, 64, 3, 3], opts: { padding: 1 } },
    // stride 2 over rows wide enough for the vector deinterleave of the phase planes, plus its tail
    // (conv B's 7×7/2 stem in miniature; an odd width and uneven pads shift the phases)
    { x: [2, 3, 9, 75], w: [10, 3, 7, 7], opts: { stride: 2, padding: 3 } },
    { x: [1, 2, 5, 70], w: [3, 2, 3, 4], opts: { stride: [1, 2], padding: [0, 1, 1, 2] } },
    // batches of small images, whose filter gradient is summed image by image in 16 shares of the
    // batch (LeNet's conv1 with 37 images: shares of 2 and 3; its conv2, grouped)
    { x: [37, 2, 28, 28], w: [6, 2, 5, 5], opts: { padding: 2 } },
    { x: [20, 6, 14, 14], w: [16, 3, 5, 5], opts: { groups: 2 } },
  ];
  for (let i = 0; i < count; i++) {
    const groups = uniform() < 0.3 ? 1 + Math.floor(uniform() * 3) : 1;
    const cg = 1 + Math.floor(uniform() * 4), og = 1 + Math.floor(uniform() * 11);
    const kh = 1 + Math.floor(uniform() * 4), kw = 1 + Math.floor(uniform() * 4);
    const s = [1 + Math.floor(uniform() * 3), 1 + Math.floor(uniform() * 3)];
    const d = [1 + Math.floor(uniform() * 2), 1 + Math.floor(uniform() * 2)];
    const H = (kh - 1) * d[0]! + 1 + Math.floor(uniform() * 9), W = (kw - 1) * d[1]! + 1 + Math.floor(uniform() * 30);
    const pads = [0, 1, 2, 3].map(() => Math.floor(uniform() * 3));
    cases.push({ x: [1 + Math.floor(uniform() * 2), cg * groups, H, W], w: [og * groups, cg, kh, kw], opts: { stride: s, dilation: d, groups, padding: pads } });
  }
  return cases;
}

describe.skipIf(skipReason !== undefined).each(all)('native kernels on $label', ({ backend: b }) => {
  it('conv2d, conv2dFused, conv2dBackpropInput, conv2dBackpropFilter on random geometries', () => {
    for (const c of randomConvCases(12)) {
      const g = conv2dGeometry('conv2d', c.x, c.w, c.opts as never);
      const x = randn(numel(c.x)), w = randn(numel(c.w)), bias = randn(c.w[0]!);
      const what = `x=${c.x} w=${c.w} ${JSON.stringify(c.opts)}`;
      const refOpts = { stride: [g.strideHeight, g.strideWidth], dilation: [g.dilationHeight, g.dilationWidth], groups: g.groups, padding: [g.padTop, g.padBottom, g.padLeft, g.padRight] as [number, number, number, number] };
      const want = ref.conv2d(f64(c.x, x), f64(c.w, w), f64([c.w[0]!], bias), refOpts);
      const mag = ref.conv2d(f64(c.x, x.map(Math.abs)), f64(c.w, w.map(Math.abs)), f64([c.w[0]!], bias.map(Math.abs)), refOpts);
      const [y] = run(b, 'conv2d', { x: { data: x, shape: c.x }, w: { data: w, shape: c.w }, b: { data: bias, shape: [c.w[0]!] } }, { geometry: g }, { y: g.yShape });
      expectClose(y!, want.data, mag.data, `conv2d ${what}`);
      const [yr] = run(b, 'conv2dFused', { x: { data: x, shape: c.x }, w: { data: w, shape: c.w }, b: { data: bias, shape: [c.w[0]!] } }, { geometry: g, activation: 'relu' }, { y: g.yShape });
      expectClose(yr!, want.data.map((v) => Math.max(v, 0)), mag.data, `conv2dFused ${what}`);
      const dy = randn(numel(g.yShape));
      const r = convBackwardRef(g, x, w, dy);
      const [dx] = run(b, 'conv2dBackpropInput', { dy: { data: dy, shape: g.yShape }, w: { data: w, shape: c.w } }, { geometry: g }, { dx: c.x });
      expectClose(dx!, r.dx, r.mx, `conv2dBackpropInput ${what}`);
      const [dw] = run(b, 'conv2dBackpropFilter', { x: { data: x, shape: c.x }, dy: { data: dy, shape: g.yShape } }, { geometry: g }, { dw: c.w });
      expectClose(dw!, r.dw, r.mw, `conv2dBackpropFilter ${what}`);
    }
  });

  it('sums a batch of small images\' filter gradient in the same order at 1 and 2 threads', () => {
    const xs = [23, 1, 28, 28], ws = [6, 1, 5, 5];
    const g = conv2dGeometry('conv2d', xs, ws, { padding: 2 });
    const x = randn(numel(xs)), dy = randn(numel(g.yShape));
    const sums = all
      .filter((v) => v.label.startsWith(b.isa))
      .map((v) => run(v.backend, 'conv2dBackpropFilter', { x: { data: x, shape: xs }, dy: { data: dy, shape: g.yShape } }, { geometry: g }, { dw: ws })[0]!);
    expect(sums).toHaveLength(2);
    expect(Array.from(sums[1]!)).toEqual(Array.from(sums[0]!));
  });

  it('3×3 layers that take Winograd (AVX-512, AVX2) keep the direct sum\'s Inf, NaN and huge values', () => {
    // Winograd's transforms mix neighbouring inputs (Inf − Inf) and grow magnitudes: such inputs take
    // the direct path, so the results are those of the definition, non-finite values included
    const xs = [1, 32, 6, 6], ws = [32, 32, 3, 3];
    const g = conv2dGeometry('conv2d', xs, ws, { padding: 1 });
    const cases: [string, Float32Array, Float32Array][] = [];
    const withInf = randn(numel(xs));
    withInf[7] = Infinity;
    withInf[200] = -Infinity;
    withInf[500] = NaN;
    cases.push(['Inf, −Inf and NaN in x', withInf, randn(numel(ws))]);
    // |x|, |w| ~ 1e18: every direct output stays finite, Winograd's products would overflow
    cases.push(['huge x and w', randn(numel(xs)).map((v) => v * 1e18), randn(numel(ws)).map((v) => v * 1e18)]);
    const infWeights = randn(numel(ws));
    infWeights[40] = Infinity;
    cases.push(['an infinite weight', randn(numel(xs)), infWeights]);
    const expectDefinition = (got: Float32Array, want: ArrayLike<number>, mag: ArrayLike<number>, what: string) => {
      let nonFinite = 0;
      for (let i = 0; i < got.length; i++) {
        const wv = Math.fround(want[i]!); // float32 rounding of the float64 sum (overflow included)
        if (Number.isFinite(wv)) {
          expect(Math.abs(got[i]! - wv), `${what}: element ${i}`).toBeLessThanOrEqual(1e-5 * mag[i]! + 1e-4 * Math.abs(wv));
        } else {
          nonFinite++;
          expect(got[i], `${what}: element ${i}`).toBe(wv);
        }
      }
      if (!what.startsWith('huge')) expect(nonFinite, what).toBeGreaterThan(0);
    };
    for (const [what, x, w] of cases) {
      const want = ref.conv2d(f64(xs, x), f64(ws, w), undefined, { padding: 1 });
      const mag = ref.conv2d(f64(xs, x.map(Math.abs)), f64(ws, w.map(Math.abs)), undefined, { padding: 1 });
      const [y] = run(b, 'conv2d', { x: { data: x, shape: xs }, w: { data: w, shape: ws } }, { geometry: g }, { y: g.yShape });
      expectDefinition(y!, want.data, mag.data, what);
      // the input gradient (a correlation with the flipped weights), x's values standing in for dy
      const r = convBackwardRef(g, x, w, x);
      const [dx] = run(b, 'conv2dBackpropInput', { dy: { data: x, shape: xs }, w: { data: w, shape: ws } }, { geometry: g }, { dx: xs });
      expectDefinition(dx!, r.dx, r.mx, `${what} (input gradient)`);
    }
  });

  it('packed weights are cached per weight handle and dropped on free', () => {
    const g = conv2dGeometry('conv2d', [1, 4, 6, 6], [8, 4, 3, 3], { padding: 1 });
    const w1 = randn(8 * 36), w2 = randn(8 * 36), x = randn(144);
    const xh = b.write(x, g.xShape);
    for (const w of [w1, w2, w1]) {
      const wh = b.write(w, g.wShape);
      const y = nativeKernels.conv2d!({ x: { data: xh, shape: g.xShape }, w: { data: wh, shape: g.wShape } }, { geometry: g }, b, { y: g.yShape });
      const want = ref.conv2d(f64(g.xShape, x), f64(g.wShape, w), undefined, { padding: 1 });
      expectClose(b.readSync(y, y.size), want.data, 60, 'conv2d after weight change');
      b.free(y);
      b.free(wh);
    }
    b.free(xh);
  });

  it('batchNormInferenceFused and frnTlu match their compositions from the reference', () => {
    const shape = [2, 3, 4, 5], C = 3;
    const x = randn(120), mean = randn(C), variance = randn(C).map((v) => v * v + 0.1), scale = randn(C), offset = randn(C);
    const [y] = run(b, 'batchNormInferenceFused', { x: { data: x, shape }, mean: { data: mean, shape: [C] }, variance: { data: variance, shape: [C] }, scale: { data: scale, shape: [C] }, offset: { data: offset, shape: [C] } }, { eps: 1e-5, activation: 'relu' }, { y: shape });
    const bn = ref.batchNorm(f64(shape, x), f64([C], mean), f64([C], variance), f64([C], scale), f64([C], offset), { training: false, eps: 1e-5 });
    expectClose(y!, bn.y.data.map((v) => Math.max(v, 0)), bn.y.magnitude.data, 'batchNormInferenceFused');
    const eps = new Float32Array([-1e-3]), tau = randn(C);
    const [yt] = run(b, 'frnTlu', { x: { data: x, shape }, eps: { data: eps, shape: [1] }, tau: { data: tau, shape: [C] }, weight: { data: scale, shape: [C] }, bias: { data: offset, shape: [C] } }, {}, { y: shape });
    const fr = ref.frn(f64(shape, x), f64([C], scale), f64([C], offset), { eps: -1e-3 });
    const tl = ref.tlu(fr, f64([C], tau));
    expectClose(yt!, tl.data, fr.magnitude.data, 'frnTlu');
  });

  it('sigmoid, tanh, abs, exp, argmax (first max, NaN largest)', () => {
    const x = randn(37).map((v) => 3 * v);
    expectClose(run(b, 'sigmoid', { x: { data: x, shape: [37] } }, {}, { y: [37] })[0]!, [...x].map((v) => 1 / (1 + Math.exp(-v))), 1, 'sigmoid');
    expectClose(run(b, 'tanh', { x: { data: x, shape: [37] } }, {}, { y: [37] })[0]!, [...x].map(Math.tanh), 1, 'tanh');
    expectClose(run(b, 'abs', { x: { data: x, shape: [37] } }, {}, { y: [37] })[0]!, [...x].map(Math.abs), 1, 'abs');
    expectClose(run(b, 'exp', { x: { data: x, shape: [37] } }, {}, { y: [37] })[0]!, [...x].map(Math.exp), 1, 'exp');
    const a = new Float32Array([1, 5, 5, 2, /* */ 0, NaN, 9, NaN, /* */ -1, -1, -1, -1]);
    // [3, 4] along axis 1 → [3]; and along axis 0 of [3, 4] → [4]
    expect([...run(b, 'argmax', { x: { data: a, shape: [3, 4] } }, { outer: 3, axisSize: 4, inner: 1 }, { y: [3] })[0]!]).toEqual([1, 1, 0]);
    expect([...run(b, 'argmax', { x: { data: a, shape: [3, 4] } }, { outer: 1, axisSize: 3, inner: 4 }, { y: [4] })[0]!]).toEqual([0, 1, 1, 1]);
  });

  it('transpose, concat, slice move every element where the definition says', () => {
    const shape = [2, 3, 4, 5], x = randn(120), perm = [2, 0, 3, 1];
    const yShape = perm.map((p) => shape[p]!);
    const [y] = run(b, 'transpose', { x: { data: x, shape } }, { perm }, { y: yShape });
    const stride = [60, 20, 5, 1];
    const want: number[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 5; k++) for (let l = 0; l < 3; l++) want.push(x[i * stride[2]! + j * stride[0]! + k * stride[3]! + l * stride[1]!]!);
    expect([...y!]).toEqual(want);
    const a = randn(2 * 3 * 4), c = randn(2 * 5 * 4);
    const [cat] = run(b, 'concat', { a: { data: a, shape: [2, 3, 4] }, b: { data: c, shape: [2, 5, 4] } }, { outer: 2, aSize: 3, bSize: 5, inner: 4 }, { y: [2, 8, 4] });
    expect([...cat!]).toEqual([...a.slice(0, 12), ...c.slice(0, 20), ...a.slice(12), ...c.slice(20)]);
    const [sl] = run(b, 'slice', { x: { data: c, shape: [2, 5, 4] } }, { outer: 2, axisSize: 5, inner: 4, begin: 1, size: 3 }, { y: [2, 3, 4] });
    expect([...sl!]).toEqual([...c.slice(4, 16), ...c.slice(24, 36)]);
  });

  it('sgdStep, sgdMomentumStep (first step and nesterov) match PyTorch\'s rule', () => {
    const n = 50, p = randn(n), g = randn(n), buf = randn(n);
    const [p1] = run(b, 'sgdStep', { param: { data: p, shape: [n] }, grad: { data: g, shape: [n] } }, { lr: 0.1, weightDecay: 0.01 }, { param: [n] });
    expectClose(p1!, ref.sgdStep(f64([n], p), f64([n], g), undefined, { lr: 0.1, weightDecay: 0.01 }).param.data, 1, 'sgdStep');
    for (const [opts, withBuf] of [[{ lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.001, nesterov: false }, false], [{ lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true }, true]] as const) {
      const out = run(b, 'sgdMomentumStep', { param: { data: p, shape: [n] }, grad: { data: g, shape: [n] }, momentumBuffer: withBuf ? { data: buf, shape: [n] } : undefined }, opts, { param: [n], momentumBuffer: [n] });
      const want = ref.sgdStep(f64([n], p), f64([n], g), withBuf ? f64([n], buf) : undefined, opts);
      expectClose(out[0]!, want.param.data, 1, 'sgdMomentumStep param');
      expectClose(out[1]!, want.buffer!.data, 1, 'sgdMomentumStep buffer');
    }
  });

  it('adamStep (Adam and AdamW) matches torch.optim.Adam/AdamW written out in float64', () => {
    const n = 40, p = randn(n), g = randn(n), m = randn(n).map((v) => v * 0.1), v = randn(n).map((x) => x * x * 0.01);
    for (const decoupled of [false, true]) {
      const a = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step: 3 };
      const out = run(b, 'adamStep', { param: { data: p, shape: [n] }, grad: { data: g, shape: [n] }, m: { data: m, shape: [n] }, v: { data: v, shape: [n] } }, a, { param: [n], m: [n], v: [n] });
      const wp: number[] = [], wm: number[] = [], wv: number[] = [];
      for (let i = 0; i < n; i++) {
        let pi = p[i]!, gi = g[i]!;
        if (decoupled) pi *= 1 - a.lr * a.weightDecay;
        else gi += a.weightDecay * pi;
        const mi = a.beta1 * m[i]! + (1 - a.beta1) * gi, vi = a.beta2 * v[i]! + (1 - a.beta2) * gi * gi;
        const mh = mi / (1 - a.beta1 ** a.step), vh = vi / (1 - a.beta2 ** a.step);
        wp.push(pi - (a.lr * mh) / (Math.sqrt(vh) + a.eps));
        wm.push(mi);
        wv.push(vi);
      }
      expectClose(out[0]!, wp, 1, `adam param (decoupled ${decoupled})`);
      expectClose(out[1]!, wm, 1, 'adam m');
      expectClose(out[2]!, wv, 1, 'adam v');
    }
  });

  it('agcUnitClip clips exactly the units the reference clips', () => {
    const shape = [6, 3, 3, 3], n = 162, p = randn(n), g = randn(n).map((v, i) => (i < 27 ? v * 1e-4 : v));
    const [out] = run(b, 'agcUnitClip', { param: { data: p, shape }, grad: { data: g, shape } }, { units: 6, unitSize: 27, clipping: 0.05, eps: 1e-3 }, { grad: shape });
    expectClose(out!, ref.agc(f64(shape, p), f64(shape, g), { clipping: 0.05, eps: 1e-3 }).data, 1, 'agcUnitClip');
  });

  it('pools with dilation and ceil mode match the reference', () => {
    const shape = [2, 3, 11, 10], x = randn(660);
    for (const opts of [{ kernelSize: 3, stride: 2, padding: 1, dilation: 2 }, { kernelSize: [2, 3], stride: [2, 2], ceilMode: true }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }]) {
      const g = pool2dGeometry('maxPool2d', shape, opts as never);
      const [y] = run(b, 'maxPool2d', { x: { data: x, shape } }, { geometry: g }, { y: g.yShape });
      expectClose(y!, ref.maxPool2d(f64(shape, x), opts as never).data, 4, `maxPool2d ${JSON.stringify(opts)}`);
      if ((opts as { dilation?: number }).dilation) continue;
      for (const countIncludePad of [false, true]) {
        const [ya] = run(b, 'avgPool2d', { x: { data: x, shape } }, { geometry: g, countIncludePad }, { y: g.yShape });
        expectClose(ya!, ref.avgPool2d(f64(shape, x), { ...opts, countIncludePad } as never).data, 4, `avgPool2d ${JSON.stringify(opts)} ${countIncludePad}`);
      }
    }
  });

  it('stride-2 pools over rows wide enough for the vector split into even and odd columns, NaN and Inf included', () => {
    for (const shape of [[1, 2, 5, 77], [2, 1, 4, 96]]) {
      const x = randn(numel(shape));
      // NaN and ±Inf at even and odd columns, inside the vector part of a row and in its scalar tail
      for (const [i, v] of [[3, NaN], [40, Infinity], [shape[3]! + 17, -Infinity], [2 * shape[3]! - 2, NaN]] as const) x[i] = v;
      for (const opts of [{ kernelSize: 3, stride: 2, padding: 1 }, { kernelSize: 2, stride: 2 }, { kernelSize: 3, stride: 2, dilation: 2, padding: 1 }, { kernelSize: [2, 4], stride: 2, padding: [1, 2] }]) {
        const g = pool2dGeometry('maxPool2d', shape, opts as never);
        const [y] = run(b, 'maxPool2d', { x: { data: x, shape } }, { geometry: g }, { y: g.yShape });
        // a max is one of its inputs: exactly the reference's, NaN and Inf alike
        expect(Array.from(y!), `maxPool2d ${JSON.stringify(opts)} ${shape}`).toEqual(Array.from(ref.maxPool2d(f64(shape, x), opts as never).data));
        if ((opts as { dilation?: number }).dilation) continue;
        const [ya] = run(b, 'avgPool2d', { x: { data: x, shape } }, { geometry: g, countIncludePad: false }, { y: g.yShape });
        const wantAvg = ref.avgPool2d(f64(shape, x), { ...opts, countIncludePad: false } as never).data;
        const finite = (a: ArrayLike<number>) => Array.from(a, (v) => (Number.isFinite(v) ? 0 : v));
        expect(finite(ya!), `avgPool2d NaN and Inf ${JSON.stringify(opts)} ${shape}`).toEqual(finite(wantAvg));
        expectClose(ya!.map((v, i) => (Number.isFinite(wantAvg[i]!) ? v : 0)), Array.from(wantAvg, (v) => (Number.isFinite(v) ? v : 0)), 4, `avgPool2d ${JSON.stringify(opts)} ${shape}`);
      }
    }
  });

  it('globalAvgPool matches the reference for every row length up to 70 and a row of several chunks', () => {
    // row lengths cover each vector tail (1..L−1 floats) of every instruction set; 3136 (56×56) is
    // one chunk of 64 floats per lane on AVX-512 and two or more elsewhere, 9000 several everywhere
    for (const S of [...Array.from({ length: 70 }, (_, i) => i + 1), 2500, 3136, 9000]) {
      const shape = [2, 3, 1, S], x = randn(6 * S);
      const [y] = run(b, 'globalAvgPool', { x: { data: x, shape } }, {}, { y: [2, 3, 1, 1] });
      expectClose(y!, ref.globalAvgPool2d(f64(shape, x)).data, 4, `globalAvgPool over ${S}`);
    }
  });
});
