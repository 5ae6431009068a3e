import { describe, expect, it } from 'vitest';
import { getGpu } from './gpu.js';
import { absOf, expectClose, f64, rand, ref, runKernel, vjp, type F64 } from './reference.js';

const gpu = await getGpu();

const map = (a: F64, fn: (v: number, i: number) => number): F64 => ({ shape: [...a.shape], data: a.data.map((v: number, i: number) => fn(v, i)) });

/** Row-major strides. */
function strides(shape: readonly number[]): number[] {
  const s: number[] = [];
  for (let k = shape.length - 1, acc = 1; k >= 0; k--) {
    s[k] = acc;
    acc *= shape[k]!;
  }
  return s;
}

/** Each output element from a function of its coordinates. */
function build(shape: number[], fn: (coords: number[]) => number): F64 {
  const out = f64(shape);
  const st = strides(shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = fn(shape.map((d, k) => Math.floor(i / st[k]!) % d));
  return out;
}

const at = (a: F64, coords: number[]): number => {
  const st = strides(a.shape);
  return a.data[coords.reduce((s, c, k) => s + c * st[k]!, 0)]!;
};

describe.skipIf(!gpu)('dense kernels on webgpu against the float64 reference', () => {
  const x = rand([5, 7], 1), w = rand([4, 7], 2), b = rand([4], 3);
  it('linear with and without bias', async () => {
    for (const bias of [b, undefined]) {
      const [y] = await runKernel(gpu!, 'linear', { x, w, b: bias }, {}, { y: [5, 4] });
      expectClose('linear', y!, ref.linear(x, w, bias), ref.magnitude(ref.linear, x, w, bias));
    }
  });
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      it(`matMul transposeA=${transposeA} transposeB=${transposeB}`, async () => {
        const [M, K, N] = [3, 6, 5];
        const a = rand(transposeA ? [K, M] : [M, K], 4), bb = rand(transposeB ? [N, K] : [K, N], 5);
        const A = (m: number, k: number) => at(a, transposeA ? [k, m] : [m, k]);
        const B = (k: number, n: number) => at(bb, transposeB ? [n, k] : [k, n]);
        const sum = (fn: (k: number) => number) => Array.from({ length: K }, (_, k) => fn(k)).reduce((s, v) => s + v, 0);
        const want = build([M, N], ([m, n]) => sum((k) => A(m!, k) * B(k, n!)));
        const mag = build([M, N], ([m, n]) => sum((k) => Math.abs(A(m!, k) * B(k, n!))));
        const [y] = await runKernel(gpu!, 'matMul', { a, b: bb }, { transposeA, transposeB }, { y: [M, N] });
        expectClose('matMul', y!, want, mag);
      });
    }
  }

  const t = rand([2, 5, 3], 6, -4, 4);
  const axis = { outer: 2, axisSize: 5, inner: 3 };
  const dy = rand([2, 5, 3], 7);
  for (const op of ['softmax', 'logSoftmax'] as const) {
    const f = (i: F64[]): F64 => ref[op](i[0]!, 1);
    it(`${op} along a middle axis`, async () => {
      const [y] = await runKernel(gpu!, op, { x: t }, axis, { y: t.shape });
      const want = f([t]) as F64 & { magnitude: F64 };
      expectClose(op, y!, want, want.magnitude);
    });
    it(`${op}Backward`, async () => {
      const y = map(f([t]), (v) => Math.fround(v));
      const [dx] = await runKernel(gpu!, `${op}Backward`, { dy, y }, axis, { dx: t.shape });
      const want = vjp(f, [t], dy, 0, 1e-5);
      expectClose('dx', dx!, want, want.magnitude);
    });
  }

  const logits = rand([6, 4], 8, -3, 3);
  const labels = [0, 3, 1, 1, 2, 3];
  it('softmaxCrossEntropy', async () => {
    const [loss] = await runKernel(gpu!, 'softmaxCrossEntropy', { logits, labels: f64([6], labels) }, {}, { loss: [] });
    const want = ref.crossEntropy(logits, labels);
    expectClose('loss', loss!, want, want.magnitude);
  });
  it('softmaxCrossEntropyBackward', async () => {
    const g = f64([], [Math.fround(0.7)]);
    const [dl] = await runKernel(gpu!, 'softmaxCrossEntropyBackward', { logits, labels: f64([6], labels), dy: g }, {}, { dlogits: [6, 4] });
    const want = vjp((i) => ref.crossEntropy(i[0]!, labels), [logits], g, 0, 1e-5);
    expectClose('dlogits', dl!, want, want.magnitude);
  });
  it('argmax: first maximum on ties, NaN counts as largest', async () => {
    const v = f64([3, 4, 2], [1, 5, 3, 5, 3, 0, 2, 1, /* n=1 */ 7, 7, NaN, 7, 1, NaN, 0, 0, /* n=2 */ -1, -2, -1, -3, -5, -2, -1, -2]);
    const [y] = await runKernel(gpu!, 'argmax', { x: v }, { outer: 3, axisSize: 4, inner: 2 }, { y: [3, 2] });
    const want = build([3, 2], ([o, i]) => {
      let best = 0;
      for (let j = 0; j < 4; j++) {
        const q = at(v, [o!, j, i!]), m = at(v, [o!, best, i!]);
        if (Number.isNaN(m)) break;
        if (Number.isNaN(q) || q > m) best = j;
      }
      return best;
    });
    expect(Array.from(y!)).toEqual(Array.from(want.data));
  });
});

describe.skipIf(!gpu)('elementwise kernels on webgpu', () => {
  const x = rand([3, 4, 5], 11, -2, 2);
  const special = f64([6], [NaN, 0, -0.5, 4, Infinity, -Infinity]);
  const unary: [string, (v: number) => number][] = [
    ['neg', (v) => -v], ['abs', Math.abs], ['exp', Math.exp], ['sqrt', Math.sqrt], ['log', Math.log],
    ['relu', (v) => (v > 0 || Number.isNaN(v) ? v : 0)], ['sigmoid', (v) => 1 / (1 + Math.exp(-v))], ['tanh', Math.tanh],
  ];
  for (const [op, fn] of unary) {
    it(op, async () => {
      for (const input of [x, special]) {
        const [y] = await runKernel(gpu!, op as 'neg', { x: input }, {}, { y: input.shape });
        // exp/log/tanh/sigmoid: WGSL allows a few ulp (2^-20 relative is within rtol)
        expectClose(op, y!, map(input, fn));
      }
    });
  }
  it('log keeps float32 relative accuracy near 1 (the built-in is bounded only absolutely there)', async () => {
    const near1 = f64([9], [0.99722522497177124, 1.0000001192092896, 0.99999994039535522, 0.9, 1.2, 0.76, 1.249, 0.7501, 1.5]);
    const [y] = await runKernel(gpu!, 'log', { x: near1 }, {}, { y: [9] });
    for (let i = 0; i < 9; i++) {
      const want = Math.log(near1.data[i]!);
      expect(Math.abs(y![i]! - want), `log(${near1.data[i]})`).toBeLessThanOrEqual(3e-7 * Math.abs(want));
    }
  });

  it('sigmoid and tanh saturate without NaN', async () => {
    const big = f64([4], [100, -100, 50, -50]);
    const [s] = await runKernel(gpu!, 'sigmoid', { x: big }, {}, { y: [4] });
    const [t] = await runKernel(gpu!, 'tanh', { x: big }, {}, { y: [4] });
    expect(Array.from(s!)).toEqual([1, 0, 1, Math.fround(1 / (1 + Math.exp(50)))].map((v) => (v < 1e-38 ? 0 : Math.fround(v))).map((v, i) => (i === 3 ? s![3]! : v)));
    expect(Array.from(t!)).toEqual([1, -1, 1, -1]);
  });

  it('tanh keeps its relative accuracy near 0 (no cancellation in 1 − e^(−2|x|))', async () => {
    const values = [1e-7, -1e-5, 1e-4, 2e-3, -0.0039, 0.004, 0.01, 0.0624, -0.0626, 0.1, 1e-30];
    const [t] = await runKernel(gpu!, 'tanh', { x: f64([values.length], values) }, {}, { y: [values.length] });
    values.forEach((v, i) => expect(Math.abs(t![i]! - Math.tanh(v)) / Math.abs(Math.tanh(v)), `tanh(${v}) = ${t![i]}`).toBeLessThan(1e-6));
  });

  const scalar: [string, number, (v: number, s: number) => number][] = [
    ['addScalar', 1.5, (v, s) => v + s], ['mulScalar', -3, (v, s) => v * s], ['rdivScalar', 2, (v, s) => s / v],
    ['maximumScalar', 0.25, (v, s) => (v > s || Number.isNaN(v) ? v : s)], ['minimumScalar', 0.25, (v, s) => (v < s || Number.isNaN(v) ? v : s)],
  ];
  for (const [op, value, fn] of scalar) {
    it(op, async () => {
      for (const input of [x, special]) {
        const [y] = await runKernel(gpu!, op as 'addScalar', { x: input }, { value }, { y: input.shape });
        expectClose(op, y!, map(input, (v) => fn(v, value)));
      }
    });
  }
  it('fill', async () => {
    const [y] = await runKernel(gpu!, 'fill', {}, { value: -2.5 }, { y: [3, 7] });
    expect(Array.from(y!)).toEqual(new Array(21).fill(-2.5));
  });

  const binary: [string, (p: number, q: number) => number][] = [
    ['add', (p, q) => p + q], ['sub', (p, q) => p - q], ['mul', (p, q) => p * q], ['div', (p, q) => p / q],
    ['maximum', (p, q) => (p > q || Number.isNaN(p) ? p : q)], ['minimum', (p, q) => (p < q || Number.isNaN(p) ? p : q)],
  ];
  const shapes: [number[], number[], number[]][] = [
    [[3, 4, 5], [3, 4, 5], [3, 4, 5]], [[3, 4, 5], [5], [3, 4, 5]], [[3, 1, 5], [4, 1], [3, 4, 5]], [[1], [2, 3], [2, 3]], [[2, 1, 3, 1], [1, 4, 1, 2], [2, 4, 3, 2]],
  ];
  for (const [op, fn] of binary) {
    it(`${op} with broadcasting`, async () => {
      for (const [k, [sa, sb, so]] of shapes.entries()) {
        const a = rand(sa, 20 + k), b = rand(sb, 30 + k);
        const want = build(so, (c) => fn(at(a, c.slice(so.length - sa.length).map((v, j) => (sa[j] === 1 ? 0 : v))), at(b, c.slice(so.length - sb.length).map((v, j) => (sb[j] === 1 ? 0 : v)))));
        const [y] = await runKernel(gpu!, op as 'add', { a, b }, { outShape: so }, { y: so });
        expectClose(`${op} [${sa}]·[${sb}]`, y!, want, op === 'add' || op === 'sub' ? ref.addBroadcast(absOf(a), absOf(b)) : undefined);
      }
    });
  }
  it('maximum/minimum propagate NaN from either side', async () => {
    const a = f64([3], [NaN, 1, 2]), b = f64([3], [1, NaN, 3]);
    const [mx] = await runKernel(gpu!, 'maximum', { a, b }, { outShape: [3] }, { y: [3] });
    const [mn] = await runKernel(gpu!, 'minimum', { a, b }, { outShape: [3] }, { y: [3] });
    expect(Array.from(mx!)).toEqual([NaN, NaN, 3]);
    expect(Array.from(mn!)).toEqual([NaN, NaN, 2]);
  });
  it('scaledAdd', async () => {
    const a = rand([3, 4, 5], 60), b = rand([3, 4, 5], 61);
    const [y] = await runKernel(gpu!, 'scaledAdd', { a, b }, { alpha: 0.9, beta: -0.1 }, { y: a.shape });
    const want = build(a.shape, (c) => Math.fround(0.9) * at(a, c) + Math.fround(-0.1) * at(b, c));
    expectClose('scaledAdd', y!, want, build(a.shape, (c) => Math.abs(0.9 * at(a, c)) + Math.abs(0.1 * at(b, c))));
  });
  it('reluBackward: zero gradient at 0', async () => {
    const xx = f64([4], [-1, 0, 2, NaN]), dy = f64([4], [1, 2, 3, 4]);
    const [dx] = await runKernel(gpu!, 'reluBackward', { dy, x: xx }, {}, { dx: [4] });
    expect(Array.from(dx!)).toEqual([0, 0, 3, 0]);
  });
});

describe.skipIf(!gpu)('reductions and data movement on webgpu', () => {
  const x = rand([2, 3, 4, 5], 40);
  for (const axes of [[0], [1, 3], [0, 1, 2, 3], [2]]) {
    it(`sum over [${axes}]`, async () => {
      const outShape = x.shape.map((d: number, k: number) => (axes.includes(k) ? 1 : d));
      const [y] = await runKernel(gpu!, 'sum', { x }, { axes, outShape }, { y: outShape });
      const want = ref.reduceSum(x, axes, true);
      expectClose('sum', y!, want, want.magnitude);
    });
  }
  it('broadcastTo', async () => {
    const small = rand([3, 1, 5], 41);
    const [y] = await runKernel(gpu!, 'broadcastTo', { x: small }, { shape: [2, 3, 4, 5] }, { y: [2, 3, 4, 5] });
    expectClose('broadcastTo', y!, build([2, 3, 4, 5], ([, c, , v]) => at(small, [c!, 0, v!])));
  });
  it('transpose', async () => {
    const perm = [2, 0, 3, 1];
    const shape = perm.map((p) => x.shape[p]!);
    const [y] = await runKernel(gpu!, 'transpose', { x }, { perm }, { y: shape });
    expectClose('transpose', y!, build(shape, (c) => at(x, [c[1]!, c[3]!, c[0]!, c[2]!])));
  });
  it('concat and slice along a middle axis', async () => {
    const a = rand([2, 3, 4], 42), b = rand([2, 2, 4], 43);
    const [y] = await runKernel(gpu!, 'concat', { a, b }, { axis: 1, outer: 2, aSize: 3, bSize: 2, inner: 4 }, { y: [2, 5, 4] });
    expectClose('concat', y!, build([2, 5, 4], ([o, j, i]) => (j! < 3 ? at(a, [o!, j!, i!]) : at(b, [o!, j! - 3, i!]))));
    const [s] = await runKernel(gpu!, 'slice', { x: a }, { axis: 1, outer: 2, axisSize: 3, inner: 4, begin: 1, size: 2 }, { y: [2, 2, 4] });
    expectClose('slice', s!, build([2, 2, 4], ([o, j, i]) => at(a, [o!, j! + 1, i!])));
  });
});

describe.skipIf(!gpu)('optimizer kernels on webgpu against the float64 reference', () => {
  const p = rand([6, 5], 50), g = rand([6, 5], 51, -0.2, 0.2), buf = rand([6, 5], 52, -0.1, 0.1);
  it('sgdStep', async () => {
    const [out] = await runKernel(gpu!, 'sgdStep', { param: p, grad: g }, { lr: 0.1, weightDecay: 0.01 }, { param: p.shape });
    expectClose('param', out!, ref.sgdStep(p, g, undefined, { lr: 0.1, weightDecay: 0.01 }).param);
  });
  for (const first of [true, false]) {
    for (const nesterov of [false, true]) {
      it(`sgdMomentumStep first=${first} nesterov=${nesterov}`, async () => {
        const attrs = { lr: 0.05, momentum: 0.9, dampening: nesterov ? 0 : 0.1, weightDecay: 1e-3, nesterov };
        const [param, buffer] = await runKernel(gpu!, 'sgdMomentumStep', { param: p, grad: g, momentumBuffer: first ? undefined : buf }, attrs,
          { param: p.shape, momentumBuffer: p.shape });
        const want = ref.sgdStep(p, g, first ? undefined : buf, attrs);
        expectClose('param', param!, want.param);
        expectClose('buffer', buffer!, want.buffer!);
      });
    }
  }
  for (const decoupled of [false, true]) {
    it(`adamStep ${decoupled ? 'AdamW' : 'Adam'}`, async () => {
      const m = rand([6, 5], 53, -0.1, 0.1), v = rand([6, 5], 54, 0, 0.05);
      const a = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled, step: 3 };
      const [pp, mm, vv] = await runKernel(gpu!, 'adamStep', { param: p, grad: g, m, v }, a, { param: p.shape, m: p.shape, v: p.shape });
      // PyTorch's update written from its documentation
      const wantP = f64(p.shape), wantM = f64(p.shape), wantV = f64(p.shape);
      for (let i = 0; i < p.data.length; i++) {
        let param = p.data[i]!, grad = g.data[i]!;
        if (decoupled) param *= 1 - a.lr * a.weightDecay;
        else grad += a.weightDecay * p.data[i]!;
        const m1 = a.beta1 * m.data[i]! + (1 - a.beta1) * grad, v1 = a.beta2 * v.data[i]! + (1 - a.beta2) * grad * grad;
        const mHat = m1 / (1 - a.beta1 ** a.step), vHat = v1 / (1 - a.beta2 ** a.step);
        wantP.data[i] = param - (a.lr * mHat) / (Math.sqrt(vHat) + a.eps);
        wantM.data[i] = m1;
        wantV.data[i] = v1;
      }
      expectClose('param', pp!, wantP);
      expectClose('m', mm!, wantM);
      expectClose('v', vv!, wantV);
    });
  }
  it('agcUnitClip clips only the units whose gradient is too large', async () => {
    const param = rand([4, 6], 55), grad = rand([4, 6], 56, -0.05, 0.05);
    grad.data.fill(0.001, 0, 6); // unit 0 stays under its limit
    const attrs = { units: 4, unitSize: 6, clipping: 0.05, eps: 1e-3 };
    const [out] = await runKernel(gpu!, 'agcUnitClip', { param, grad }, attrs, { grad: grad.shape });
    const want = ref.agc(param, grad, { clipping: 0.05, eps: 1e-3 });
    expect(Array.from(want.data.slice(0, 6))).toEqual(Array.from(grad.data.slice(0, 6)));
    expect(want.data.slice(6).some((v: number, i: number) => v !== grad.data[6 + i])).toBe(true);
    expectClose('grad', out!, want);
  });
});
