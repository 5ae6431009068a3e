/**
 * The kernels added by contract v2 (fused, scalar, shape, optimizer kernels) against float64
 * references written here from their definitions (kernels.ts, DESIGN §3, PyTorch's update rules).
 * Kernels are called as core calls them: output shapes from core's table, fresh handles back.
 */
import { describe, expect, it } from 'vitest';
import { conv2dGeometry, kernelNames, type TensorInfo } from '@hypercolumn/core';
import { cpuKernels } from '../src/index.js';
import { rng, runCpuKernel } from './helpers.js';

type T = TensorInfo<Float32Array>;
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
function rand(r: () => number, shape: number[], lo = -1, hi = 1): T {
  const d = new Float32Array(size(shape));
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * r();
  return { data: d, shape };
}
const tensor = (values: ArrayLike<number>, shape: number[]): T => ({ data: Float32Array.from(values), shape });

/** |got − ref| ≤ atol + rtol·|ref| (NaN must match NaN). */
function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, what: string, rtol = 1e-4, atol = 1e-5): void {
  expect(got.length, what).toBe(ref.length);
  for (let i = 0; i < ref.length; i++) {
    const g = got[i]!, e = ref[i]!;
    if (Number.isNaN(e)) expect(Number.isNaN(g), `${what}[${i}] NaN`).toBe(true);
    else if (!Number.isFinite(e)) expect(g, `${what}[${i}]`).toBe(e);
    else if (Math.abs(g - e) > atol + rtol * Math.abs(e)) expect.fail(`${what}[${i}]: got ${g}, expected ${e}`);
  }
}

describe('contract coverage', () => {
  it('cpu implements every kernel of the contract (it is the fallback for all of them)', () => {
    expect(kernelNames.filter((k) => cpuKernels[k] === undefined)).toEqual([]);
  });
});

describe('fused kernels', () => {
  it('conv2dFused equals conv2d, then relu (and conv2d alone without activation)', () => {
    const r = rng(5);
    const geometry = conv2dGeometry('conv2d', [2, 3, 7, 6], [4, 3, 3, 3], { padding: 1, stride: [1, 2] });
    const x = rand(r, [2, 3, 7, 6]), w = rand(r, [4, 3, 3, 3]), b = rand(r, [4]);
    const [plain] = runCpuKernel('conv2d', { x, w, b }, { geometry });
    const [none] = runCpuKernel('conv2dFused', { x, w, b }, { geometry, activation: 'none' });
    const [relu] = runCpuKernel('conv2dFused', { x, w, b }, { geometry, activation: 'relu' });
    expect(Array.from(none!.data)).toEqual(Array.from(plain!.data));
    expect(Array.from(relu!.data)).toEqual(Array.from(plain!.data, (v) => (v > 0 ? v : 0)));
    expect(plain!.data.some((v) => v < 0)).toBe(true);
  });

  it('batchNormInferenceFused: relu((x − mean)·scale/√(var + eps) + offset) per channel', () => {
    const r = rng(7);
    const [N, C, S] = [2, 3, 5];
    const x = rand(r, [N, C, 1, S], -3, 3), mean = rand(r, [C]), variance = rand(r, [C], 0.1, 2);
    const scale = rand(r, [C]), offset = rand(r, [C]);
    const eps = 1e-5;
    const ref = Array.from(x.data, (v, i) => {
      const c = Math.floor(i / S) % C;
      const y = ((v - mean.data[c]!) * scale.data[c]!) / Math.sqrt(variance.data[c]! + eps) + offset.data[c]!;
      return Math.max(y, 0);
    });
    const [y] = runCpuKernel('batchNormInferenceFused', { x, mean, variance, scale, offset }, { eps, activation: 'relu' });
    expectClose(y!.data, ref, 'bn+relu', 1e-5, 1e-6);
  });

  it('frnTlu: max(weight·x/√(mean(x²) + |eps|) + bias, tau) per (n, c)', () => {
    const r = rng(9);
    const [N, C, S] = [2, 3, 6];
    const x = rand(r, [N, C, 2, 3], -2, 2), weight = rand(r, [C]), bias = rand(r, [C]), tau = rand(r, [C], -0.5, 0.5);
    const eps = tensor([-1e-3], [1]);
    const ref = new Float64Array(x.data.length);
    for (let p = 0; p < N * C; p++) {
      const c = p % C;
      let nu2 = 0;
      for (let s = 0; s < S; s++) nu2 += x.data[p * S + s]! ** 2 / S;
      for (let s = 0; s < S; s++) {
        const y = (weight.data[c]! * x.data[p * S + s]!) / Math.sqrt(nu2 + 1e-3) + bias.data[c]!;
        ref[p * S + s] = Math.max(y, tau.data[c]!);
      }
    }
    const [y] = runCpuKernel('frnTlu', { x, eps, tau, weight, bias });
    expectClose(y!.data, ref, 'frn+tlu');
    expect(y!.data.some((v, i) => v === tau.data[Math.floor(i / S) % C])).toBe(true);
  });
});

describe('elementwise and scalar kernels', () => {
  const x = tensor([-100, -3.5, -1, -0.25, 0, 1e-8, 0.5, 2, 40, NaN, Infinity, -Infinity], [12]);
  const cases: [string, object, (v: number) => number][] = [
    ['sigmoid', {}, (v) => 1 / (1 + Math.exp(-v))],
    ['tanh', {}, Math.tanh],
    ['addScalar', { value: 0.3 }, (v) => v + 0.3],
    ['mulScalar', { value: -2.5 }, (v) => v * -2.5],
    ['rdivScalar', { value: 3 }, (v) => 3 / v],
    ['maximumScalar', { value: 0.1 }, (v) => (Number.isNaN(v) ? NaN : Math.max(v, 0.1))],
    ['minimumScalar', { value: 0.1 }, (v) => (Number.isNaN(v) ? NaN : Math.min(v, 0.1))],
  ];
  for (const [name, attrs, f] of cases) {
    it(`${name} elementwise, extremes and NaN`, () => {
      const [y] = runCpuKernel(name as 'sigmoid', { x }, attrs);
      // rtol 1e-6 of float32 values; atol one subnormal step (sigmoid(−100) ≈ 3.7e-44 is subnormal)
      expectClose(y!.data, Array.from(x.data, f), name, 1e-6, 1.5e-45);
      expect(Array.from(x.data.slice(0, 3))).toEqual([-100, -3.5, -1]); // input untouched
    });
  }

  it('fill makes the output shape filled with the value', () => {
    const out = (cpuKernels.fill as (...a: unknown[]) => Float32Array)({}, { value: -1.5 }, undefined, { y: [2, 3] });
    expect(Array.from(out)).toEqual([-1.5, -1.5, -1.5, -1.5, -1.5, -1.5]);
  });

  it('argmax along an axis: first index on ties, NaN counts as largest', () => {
    // x [2, 3, 2]; along axis 1 (outer 2, axisSize 3, inner 2)
    const x = tensor([1, 5, 3, 5, 3, 0, /* n=1 */ 2, NaN, 2, 1, -1, NaN], [2, 3, 2]);
    const [y] = runCpuKernel('argmax', { x }, { outer: 2, axisSize: 3, inner: 2 });
    expect(y!.shape).toEqual([2, 2]);
    expect(Array.from(y!.data)).toEqual([1, 0, 0, 0]);
    const r = rng(3);
    const big = rand(r, [4, 7]);
    const [z] = runCpuKernel('argmax', { x: big }, { outer: 4, axisSize: 7, inner: 1 });
    for (let o = 0; o < 4; o++) {
      const row = Array.from(big.data.subarray(o * 7, o * 7 + 7));
      expect(z!.data[o]).toBe(row.indexOf(Math.max(...row)));
    }
  });
});

describe('shape kernels', () => {
  it('transpose matches index arithmetic for every permutation of a rank-4 tensor', () => {
    const shape = [2, 3, 4, 5];
    const x = rand(rng(11), shape);
    const strides = [60, 20, 5, 1];
    const perms = [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 3, 1], [1, 0, 3, 2], [2, 0, 1, 3]];
    for (const perm of perms) {
      const [y] = runCpuKernel('transpose', { x }, { perm });
      const yShape = perm.map((p) => shape[p]!);
      expect(y!.shape).toEqual(yShape);
      const ref = new Float32Array(x.data.length);
      for (let i = 0; i < ref.length; i++) {
        let rem = i, src = 0;
        for (let d = 3; d >= 0; d--) {
          const idx = rem % yShape[d]!;
          rem = Math.floor(rem / yShape[d]!);
          src += idx * strides[perm[d]!]!;
        }
        ref[i] = x.data[src]!;
      }
      expect(Array.from(y!.data)).toEqual(Array.from(ref));
    }
  });

  it('concat and slice along a middle axis are inverse to each other', () => {
    const r = rng(13);
    const a = rand(r, [2, 3, 4]), b = rand(r, [2, 1, 4]);
    const [y] = runCpuKernel('concat', { a, b }, { axis: 1, outer: 2, aSize: 3, bSize: 1, inner: 4 });
    expect(y!.shape).toEqual([2, 4, 4]);
    for (let n = 0; n < 2; n++) {
      for (let j = 0; j < 4; j++) {
        for (let k = 0; k < 4; k++) {
          const want = j < 3 ? a.data[(n * 3 + j) * 4 + k] : b.data[n * 4 + k];
          expect(y!.data[(n * 4 + j) * 4 + k]).toBe(want);
        }
      }
    }
    const [back] = runCpuKernel('slice', { x: y! }, { axis: 1, outer: 2, axisSize: 4, inner: 4, begin: 0, size: 3 });
    expect(back!.shape).toEqual([2, 3, 4]);
    expect(Array.from(back!.data)).toEqual(Array.from(a.data));
    const [tail] = runCpuKernel('slice', { x: y! }, { axis: 1, outer: 2, axisSize: 4, inner: 4, begin: 3, size: 1 });
    expect(Array.from(tail!.data)).toEqual(Array.from(b.data));
  });
});

describe('optimizer kernels (PyTorch update rules, three steps)', () => {
  const n = 10;
  const r = rng(17);
  const p0 = rand(r, [2, 5]);
  const grads = [rand(r, [2, 5]), rand(r, [2, 5]), rand(r, [2, 5])];

  it('sgdStep: p ← p − lr·(g + wd·p)', () => {
    let p = p0;
    const ref = Float64Array.from(p0.data);
    for (const g of grads) {
      [p] = runCpuKernel('sgdStep', { param: p, grad: g }, { lr: 0.1, weightDecay: 0.01 }) as [T];
      for (let i = 0; i < n; i++) ref[i] = ref[i]! - 0.1 * (g.data[i]! + 0.01 * ref[i]!);
    }
    expectClose(p.data, ref, 'sgd');
  });

  for (const [nesterov, dampening] of [[false, 0], [false, 0.3], [true, 0]] as const) {
    it(`sgdMomentumStep nesterov=${nesterov} dampening=${dampening}`, () => {
      const attrs = { lr: 0.05, momentum: 0.9, dampening, weightDecay: 1e-2, nesterov };
      let p = p0;
      let buf: T | undefined;
      const refP = Float64Array.from(p0.data);
      let refB: Float64Array | undefined;
      for (const g of grads) {
        [p, buf] = runCpuKernel('sgdMomentumStep', { param: p, grad: g, momentumBuffer: buf }, attrs) as [T, T];
        const d = Array.from(g.data, (gi, i) => gi + attrs.weightDecay * refP[i]!);
        refB = refB ? refB.map((b, i) => attrs.momentum * b + (1 - dampening) * d[i]!) : Float64Array.from(d);
        for (let i = 0; i < n; i++) refP[i] = refP[i]! - attrs.lr * (nesterov ? d[i]! + attrs.momentum * refB[i]! : refB[i]!);
      }
      expectClose(p.data, refP, 'param');
      expectClose(buf!.data, refB!, 'buffer');
    });
  }

  for (const decoupled of [false, true]) {
    it(`adamStep ${decoupled ? 'AdamW' : 'Adam'} with weight decay`, () => {
      const base = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled };
      let p = p0, m = tensor(new Float32Array(n), [2, 5]), v = tensor(new Float32Array(n), [2, 5]);
      const refP = Float64Array.from(p0.data), refM = new Float64Array(n), refV = new Float64Array(n);
      grads.forEach((g, s) => {
        const step = s + 1;
        [p, m, v] = runCpuKernel('adamStep', { param: p, grad: g, m, v }, { ...base, step }) as [T, T, T];
        for (let i = 0; i < n; i++) {
          let gi = g.data[i]!;
          if (decoupled) refP[i] = refP[i]! * (1 - base.lr * base.weightDecay);
          else gi += base.weightDecay * refP[i]!;
          refM[i] = base.beta1 * refM[i]! + (1 - base.beta1) * gi;
          refV[i] = base.beta2 * refV[i]! + (1 - base.beta2) * gi * gi;
          const mHat = refM[i]! / (1 - base.beta1 ** step);
          const denom = Math.sqrt(refV[i]!) / Math.sqrt(1 - base.beta2 ** step) + base.eps;
          refP[i] = refP[i]! - (base.lr * mHat) / denom;
        }
      });
      expectClose(p.data, refP, 'param');
      expectClose(m.data, refM, 'm');
      expectClose(v.data, refV, 'v', 1e-4, 1e-9);
    });
  }

  it('agcUnitClip clips exactly the units whose gradient norm exceeds clipping·max(‖W_u‖, eps)', () => {
    // 3 units of 4: a big-gradient unit (clipped), a small one (left), a zero-weight unit (eps floor, clipped)
    const param = tensor([1, 1, 1, 1, /**/ 2, 0, 0, 0, /**/ 0, 0, 0, 0], [3, 2, 2]);
    const grad = tensor([3, 0, 4, 0, /**/ 0.001, 0.002, 0, 0, /**/ 0.5, -0.5, 0.5, -0.5], [3, 2, 2]);
    const attrs = { units: 3, unitSize: 4, clipping: 0.1, eps: 1e-3 };
    const [out] = runCpuKernel('agcUnitClip', { param, grad }, attrs);
    expect(out!.shape).toEqual([3, 2, 2]);
    const ref = new Float64Array(12);
    for (let u = 0; u < 3; u++) {
      const unit = (t: T) => Array.from(t.data.subarray(u * 4, u * 4 + 4));
      const wn = Math.hypot(...unit(param)), gn = Math.hypot(...unit(grad));
      const maxNorm = 0.1 * Math.max(wn, 1e-3);
      unit(grad).forEach((g, i) => (ref[u * 4 + i] = gn > maxNorm ? (g * maxNorm) / Math.max(gn, 1e-6) : g));
    }
    expectClose(out!.data, ref, 'agc');
    expect(out!.data[4]).toBe(grad.data[4]); // the small unit is untouched
    expect(Math.hypot(...out!.data.subarray(0, 4))).toBeCloseTo(0.2, 6);
  });
});
