/**
 * Pooling, normalization, activation, softmax, elementwise and reduction kernels of the cpu
 * backend against naive float64 implementations written here directly from the definitions, and
 * every backward kernel against central finite differences of a float64 forward written here.
 *
 * Tolerance (DESIGN §3): |got − ref| ≤ 1e-5·m + 1e-4·|ref|, m the magnitude of the summed terms.
 * For gradients m_i = Σ_j |dy_j · ∂f_j/∂x_i| from the finite-difference Jacobian itself.
 */
import { describe, expect, it } from 'vitest';
import type { KernelName, Pool2dGeometry, TensorInfo } from '@hypercolumn/core';
import { cpuKernels } from '../src/index.js';
import { avgPool2d } from '../src/kernels/avg_pool2d.js';
import { avgPool2dBackward } from '../src/kernels/avg_pool2d_backward.js';
import { batchNormBackward } from '../src/kernels/batch_norm_backward.js';
import { batchNormInference } from '../src/kernels/batch_norm_inference.js';
import { batchNormTraining } from '../src/kernels/batch_norm_training.js';
import { broadcastTo } from '../src/kernels/broadcast_to.js';
import { abs, add, div, exp, log, maximum, minimum, mul, neg, sqrt, sub } from '../src/kernels/elementwise.js';
import { frn } from '../src/kernels/frn.js';
import { frnBackward } from '../src/kernels/frn_backward.js';
import { globalAvgPool } from '../src/kernels/global_avg_pool.js';
import { groupNorm } from '../src/kernels/group_norm.js';
import { groupNormBackward } from '../src/kernels/group_norm_backward.js';
import { layerNorm } from '../src/kernels/layer_norm.js';
import { layerNormBackward } from '../src/kernels/layer_norm_backward.js';
import { logSoftmax } from '../src/kernels/log_softmax.js';
import { logSoftmaxBackward } from '../src/kernels/log_softmax_backward.js';
import { maxPool2d } from '../src/kernels/max_pool2d.js';
import { maxPool2dBackward } from '../src/kernels/max_pool2d_backward.js';
import { relu } from '../src/kernels/relu.js';
import { reluBackward } from '../src/kernels/relu_backward.js';
import { softmax } from '../src/kernels/softmax.js';
import { softmaxBackward } from '../src/kernels/softmax_backward.js';
import { softmaxCrossEntropy } from '../src/kernels/softmax_cross_entropy.js';
import { softmaxCrossEntropyBackward } from '../src/kernels/softmax_cross_entropy_backward.js';
import { sum } from '../src/kernels/sum.js';
import { tlu } from '../src/kernels/tlu.js';
import { tluBackward } from '../src/kernels/tlu_backward.js';
import { rng, runCpuKernel } from './helpers.js';

type T = TensorInfo<Float32Array>;
type F64 = Float64Array;

const kernelNameOf = new Map<unknown, KernelName>(Object.entries(cpuKernels).map(([name, k]) => [k, name as KernelName]));

/** Calls a kernel as core does (output shapes passed in) and returns its outputs as a list. */
function call(kernel: unknown, inputs: Record<string, T | undefined>, attrs: object = {}): T[] {
  return runCpuKernel(kernelNameOf.get(kernel)!, inputs, attrs);
}

// ---------------------------------------------------------------------------------------------
// data, tolerance, finite differences


const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function rand(r: () => number, shape: number[], lo = -1, hi = 1): T {
  const d = new Float32Array(size(shape));
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * r();
  return { data: d, shape };
}

/** Distinct values (a shuffled ramp, spacing 2/n): no ties, so max/relu FD never crosses a kink. */
function distinct(r: () => number, shape: number[]): T {
  const n = size(shape);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = -1 + (2 * (i + 0.5)) / n;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = d[i]!;
    d[i] = d[j]!;
    d[j] = t;
  }
  return { data: d, shape };
}

const f64 = (t: T | Float32Array): F64 => Float64Array.from(t instanceof Float32Array ? t : t.data);
const tensor = (data: ArrayLike<number>, shape: number[]): T => ({ data: Float32Array.from(data), shape });

/** |got − ref| ≤ 1e-5·m + 1e-4·|ref| elementwise (m a number or per element). */
function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, mag: ArrayLike<number> | number, what: string): void {
  expect(got.length, `${what}: length`).toBe(ref.length);
  let worst = -Infinity, at = -1;
  for (let i = 0; i < ref.length; i++) {
    const m = typeof mag === 'number' ? mag : mag[i]!;
    const g = got[i]!, r = ref[i]!;
    if (Number.isNaN(g) !== Number.isNaN(r)) {
      worst = Infinity;
      at = i;
      break;
    }
    if (Number.isNaN(r) || g === r) continue;
    const excess = Math.abs(g - r) - (1e-5 * m + 1e-4 * Math.abs(r));
    if (excess > worst) {
      worst = excess;
      at = i;
    }
  }
  if (worst > 0) {
    const m = typeof mag === 'number' ? mag : mag[at]!;
    expect.fail(`${what}: element ${at} got ${got[at]} want ${ref[at]} (m = ${m})`);
  }
}

/**
 * Finite-difference vector-Jacobian product of f at params for output cotangent dy: for each
 * parameter tensor the reference gradient Σ_j dy_j ∂f_j/∂p_i and its magnitude Σ_j |dy_j ∂f_j/∂p_i|.
 */
function fdGrad(f: (p: F64[]) => F64, params: F64[], dy: F64, h = 1e-4): { ref: F64; mag: F64 }[] {
  return params.map((p) => {
    const ref = new Float64Array(p.length), mag = new Float64Array(p.length);
    for (let i = 0; i < p.length; i++) {
      const old = p[i]!;
      p[i] = old + h;
      const fp = f(params);
      p[i] = old - h;
      const fm = f(params);
      p[i] = old;
      let s = 0, a = 0;
      for (let j = 0; j < dy.length; j++) {
        const t = (dy[j]! * (fp[j]! - fm[j]!)) / (2 * h);
        s += t;
        a += Math.abs(t);
      }
      ref[i] = s;
      mag[i] = a;
    }
    return { ref, mag };
  });
}

// ---------------------------------------------------------------------------------------------
// pooling

/** PyTorch pool output length (with the ceilMode rule: no window starting in the end padding). */
function poolOut(x: number, k: number, s: number, p0: number, p1: number, d: number, ceil: boolean): number {
  const span = x + p0 + p1 - d * (k - 1) - 1;
  if (!ceil) return Math.floor(span / s) + 1;
  let o = Math.ceil(span / s) + 1;
  if ((o - 1) * s >= x + p0) o--;
  return o;
}

interface PoolCase {
  n: number; c: number; h: number; w: number; kh: number; kw: number; sh: number; sw: number;
  dh?: number; dw?: number; pt?: number; pb?: number; pl?: number; pr?: number; ceil?: boolean;
}

function geometry(pc: PoolCase): Pool2dGeometry {
  const dh = pc.dh ?? 1, dw = pc.dw ?? 1, pt = pc.pt ?? 0, pb = pc.pb ?? pt, pl = pc.pl ?? 0, pr = pc.pr ?? pl;
  const outHeight = poolOut(pc.h, pc.kh, pc.sh, pt, pb, dh, pc.ceil ?? false);
  const outWidth = poolOut(pc.w, pc.kw, pc.sw, pl, pr, dw, pc.ceil ?? false);
  return {
    batch: pc.n, channels: pc.c, inHeight: pc.h, inWidth: pc.w, kernelHeight: pc.kh, kernelWidth: pc.kw,
    strideHeight: pc.sh, strideWidth: pc.sw, dilationHeight: dh, dilationWidth: dw,
    padTop: pt, padBottom: pb, padLeft: pl, padRight: pr, outHeight, outWidth,
    xShape: [pc.n, pc.c, pc.h, pc.w], yShape: [pc.n, pc.c, outHeight, outWidth],
  };
}

/** Every window's in-input taps, row-major, as flat input indices (the definition, tap by tap). */
function windowTaps(g: Pool2dGeometry, plane: number, oh: number, ow: number): number[] {
  const taps: number[] = [];
  for (let i = 0; i < g.kernelHeight; i++) {
    const ih = oh * g.strideHeight - g.padTop + i * g.dilationHeight;
    for (let j = 0; j < g.kernelWidth; j++) {
      const iw = ow * g.strideWidth - g.padLeft + j * g.dilationWidth;
      if (ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth) taps.push((plane * g.inHeight + ih) * g.inWidth + iw);
    }
  }
  return taps;
}

function refMaxPool(x: F64, g: Pool2dGeometry): { y: F64; arg: Int32Array } {
  const y = new Float64Array(size(g.yShape)), arg = new Int32Array(y.length);
  let o = 0;
  for (let p = 0; p < g.batch * g.channels; p++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, o++) {
        let best = -Infinity, bi = -1;
        for (const t of windowTaps(g, p, oh, ow)) if (bi < 0 || x[t]! > best) [best, bi] = [x[t]!, t];
        y[o] = best;
        arg[o] = bi;
      }
    }
  }
  return { y, arg };
}

/** Average pool from the definition: divisor counts taps inside the padded extent (cip) or the input. */
function refAvgPool(x: F64, g: Pool2dGeometry, cip: boolean): { y: F64; mag: F64 } {
  const y = new Float64Array(size(g.yShape)), mag = new Float64Array(y.length);
  let o = 0;
  for (let p = 0; p < g.batch * g.channels; p++) {
    for (let oh = 0; oh < g.outHeight; oh++) {
      for (let ow = 0; ow < g.outWidth; ow++, o++) {
        let s = 0, a = 0, inPad = 0, inInput = 0;
        for (let i = 0; i < g.kernelHeight; i++) {
          const ih = oh * g.strideHeight - g.padTop + i;
          for (let j = 0; j < g.kernelWidth; j++) {
            const iw = ow * g.strideWidth - g.padLeft + j;
            if (ih >= -g.padTop && ih < g.inHeight + g.padBottom && iw >= -g.padLeft && iw < g.inWidth + g.padRight) inPad++;
            if (ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth) {
              inInput++;
              const v = x[(p * g.inHeight + ih) * g.inWidth + iw]!;
              s += v;
              a += Math.abs(v);
            }
          }
        }
        const div = cip ? inPad : inInput;
        y[o] = s / div;
        mag[o] = a / div;
      }
    }
  }
  return { y, mag };
}

const poolCases: [string, PoolCase][] = [
  ['2x2 s2', { n: 2, c: 3, h: 6, w: 8, kh: 2, kw: 2, sh: 2, sw: 2 }],
  ['3x3 s2 p1 odd', { n: 1, c: 2, h: 7, w: 5, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1 }],
  ['3x3 s2 p1 ceil (last window partly in padding)', { n: 2, c: 1, h: 6, w: 6, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, ceil: true }],
  ['2x2 s2 ceil odd (window past the input)', { n: 1, c: 2, h: 5, w: 7, kh: 2, kw: 2, sh: 2, sw: 2, ceil: true }],
  ['stride > kernel', { n: 1, c: 3, h: 9, w: 10, kh: 2, kw: 3, sh: 4, sw: 3, pt: 1 }],
  ['1x1 map', { n: 3, c: 2, h: 1, w: 1, kh: 1, kw: 1, sh: 1, sw: 1 }],
  ['1x1 map 3x3 p1', { n: 1, c: 1, h: 1, w: 1, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1 }],
  ['rectangular 1xk (1-d pool)', { n: 2, c: 2, h: 1, w: 11, kh: 1, kw: 3, sh: 1, sw: 2, pl: 1 }],
  ['asymmetric padding', { n: 1, c: 2, h: 5, w: 6, kh: 3, kw: 2, sh: 2, sw: 2, pt: 1, pb: 0, pl: 0, pr: 1 }],
  ['overlapping 3x3 s1', { n: 1, c: 2, h: 5, w: 5, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1 }],
];

const dilatedCases: [string, PoolCase][] = [
  ['dilation 2', { n: 1, c: 2, h: 9, w: 8, kh: 3, kw: 2, sh: 2, sw: 1, dh: 2, dw: 3, pt: 1, pl: 1 }],
  ['dilation 2 ceil', { n: 2, c: 1, h: 8, w: 8, kh: 3, kw: 3, sh: 2, sw: 3, dh: 2, dw: 2, pt: 1, pl: 1, ceil: true }],
];

describe('maxPool2d', () => {
  for (const [name, pc] of [...poolCases, ...dilatedCases]) {
    it(`forward and backward: ${name}`, () => {
      const r = rng(11);
      const g = geometry(pc);
      const x = distinct(r, g.xShape.slice());
      const [y] = call(maxPool2d, { x }, { geometry: g });
      expect(y!.shape).toEqual(g.yShape);
      const ref = refMaxPool(f64(x), g);
      expectClose(y!.data, ref.y, 0, 'y');

      const dy = rand(r, g.yShape.slice());
      const [dx] = call(maxPool2dBackward, { dy, x }, { geometry: g });
      expect(dx!.shape).toEqual(g.xShape);
      const refDx = new Float64Array(size(g.xShape));
      for (let o = 0; o < ref.arg.length; o++) refDx[ref.arg[o]!]! += dy.data[o]!;
      const fd = fdGrad(([xx]) => refMaxPool(xx!, g).y, [f64(x)], f64(dy));
      expectClose(dx!.data, refDx, fd[0]!.mag, 'dx (argmax routing)');
      expectClose(dx!.data, fd[0]!.ref, fd[0]!.mag, 'dx (finite differences)');
    });
  }

  it('ties go to the first maximum in row-major window order; padding is −∞', () => {
    // 3x3 s1 p1 on a constant plane: every window's first in-input tap is the argmax.
    const g = geometry({ n: 1, c: 1, h: 3, w: 3, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1 });
    const x = tensor(new Array(9).fill(-2), [1, 1, 3, 3]);
    const [y] = call(maxPool2d, { x }, { geometry: g });
    expect(Array.from(y!.data)).toEqual(new Array(9).fill(-2));
    const dy = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const [dx] = call(maxPool2dBackward, { dy, x }, { geometry: g });
    // window (oh, ow) starts at input (max(oh−1, 0), max(ow−1, 0))
    expect(Array.from(dx!.data)).toEqual([1 + 2 + 4 + 5, 3 + 6, 0, 7 + 8, 9, 0, 0, 0, 0]);
  });

  it('NaN wins a window (PyTorch), forward and backward agree', () => {
    for (const kh of [2, 3]) {
      const g = geometry({ n: 1, c: 1, h: 4, w: 6, kh, kw: kh, sh: 2, sw: 2, pt: kh === 3 ? 1 : 0, pl: kh === 3 ? 1 : 0 });
      const x = rand(rng(4), [1, 1, 4, 6]);
      x.data[8] = NaN; // row 1, column 2
      const [y] = call(maxPool2d, { x }, { geometry: g });
      const dy = tensor(new Array(size(g.yShape)).fill(1), g.yShape.slice());
      const [dx] = call(maxPool2dBackward, { dy, x }, { geometry: g });
      let windowsWithNaN = 0;
      for (let o = 0; o < y!.data.length; o++) if (Number.isNaN(y!.data[o])) windowsWithNaN++;
      expect(windowsWithNaN).toBeGreaterThan(0);
      expect(dx!.data[8]).toBe(windowsWithNaN);
    }
  });

  it('an all −∞ window routes to its first in-input element', () => {
    const g = geometry({ n: 1, c: 1, h: 2, w: 2, kh: 2, kw: 2, sh: 2, sw: 2 });
    const x = tensor([-Infinity, -Infinity, -Infinity, -Infinity], [1, 1, 2, 2]);
    const [dx] = call(maxPool2dBackward, { dy: tensor([3], [1, 1, 1, 1]), x }, { geometry: g });
    expect(Array.from(dx!.data)).toEqual([3, 0, 0, 0]);
  });
});

describe('avgPool2d', () => {
  for (const [name, pc] of poolCases) {
    for (const cip of [true, false]) {
      it(`forward and backward: ${name}, countIncludePad ${cip}`, () => {
        const r = rng(5);
        const g = geometry(pc);
        const x = rand(r, g.xShape.slice());
        const [y] = call(avgPool2d, { x }, { geometry: g, countIncludePad: cip });
        expect(y!.shape).toEqual(g.yShape);
        const ref = refAvgPool(f64(x), g, cip);
        expectClose(y!.data, ref.y, ref.mag, 'y');
        const dy = rand(r, g.yShape.slice());
        const [dx] = call(avgPool2dBackward, { dy }, { geometry: g, countIncludePad: cip });
        expect(dx!.shape).toEqual(g.xShape);
        const fd = fdGrad(([xx]) => refAvgPool(xx!, g, cip).y, [f64(x)], f64(dy));
        expectClose(dx!.data, fd[0]!.ref, fd[0]!.mag, 'dx');
      });
    }
  }

  it("PyTorch's ceilMode divisor: padded extent, not the kernel area", () => {
    // H = W = 3, 2x2 s2 ceil, no padding: the last window covers one row/column of the input.
    const g = geometry({ n: 1, c: 1, h: 3, w: 3, kh: 2, kw: 2, sh: 2, sw: 2, ceil: true });
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    for (const cip of [true, false]) {
      const [y] = call(avgPool2d, { x }, { geometry: g, countIncludePad: cip });
      expect(Array.from(y!.data)).toEqual([3, 4.5, 7.5, 9]); // torch.nn.functional.avg_pool2d gives these
    }
    // 3x3 s2 p1 ceil on 4x4: the last window starts at input 3, includes padding row 4.
    const g2 = geometry({ n: 1, c: 1, h: 4, w: 4, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 1, ceil: true });
    const ones = tensor(new Array(16).fill(1), [1, 1, 4, 4]);
    const [y2] = call(avgPool2d, { x: ones }, { geometry: g2, countIncludePad: true });
    expect(Array.from(y2!.data)).toEqual([4 / 9, 6 / 9, 2 / 6, 6 / 9, 9 / 9, 3 / 6, 2 / 6, 3 / 6, 1 / 4].map(Math.fround));
  });
});

describe('globalAvgPool', () => {
  for (const shape of [[2, 3, 5, 7], [1, 1, 1, 1], [3, 2, 9], [2, 4, 3, 2, 2]]) {
    it(`[${shape}]`, () => {
      const x = rand(rng(3), shape, -3, 5);
      const [y] = call(globalAvgPool, { x });
      expect(y!.shape).toEqual(shape.map((d, i) => (i < 2 ? d : 1)));
      const S = size(shape.slice(2));
      const ref = new Float64Array(shape[0]! * shape[1]!), mag = new Float64Array(ref.length);
      for (let p = 0; p < ref.length; p++) {
        for (let s = 0; s < S; s++) {
          ref[p]! += x.data[p * S + s]! / S;
          mag[p]! += Math.abs(x.data[p * S + s]!) / S;
        }
      }
      expectClose(y!.data, ref, mag, 'y');
    });
  }
});

// ---------------------------------------------------------------------------------------------
// normalization references (float64, from the definitions)

/** Statistics of each group of indices (two-pass, float64). */
function groupStats(x: F64, groups: number[][]): { mean: F64; variance: F64 } {
  const mean = new Float64Array(groups.length), variance = new Float64Array(groups.length);
  groups.forEach((idx, k) => {
    let s = 0;
    for (const i of idx) s += x[i]!;
    const m = s / idx.length;
    let q = 0;
    for (const i of idx) q += (x[i]! - m) ** 2;
    mean[k] = m;
    variance[k] = q / idx.length;
  });
  return { mean, variance };
}

/** Index groups of [N, C, S]: per channel over (n, s) for batch norm. */
function channelGroups(N: number, C: number, S: number): number[][] {
  const groups: number[][] = [];
  for (let c = 0; c < C; c++) {
    const idx: number[] = [];
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) idx.push((n * C + c) * S + s);
    groups.push(idx);
  }
  return groups;
}

/**
 * Generic normalization: y_i = (x_i − μ_g)/sqrt(σ²_g + eps)·w[wi(i)] + b[wi(i)] for each index
 * group g (statistics over the group), and m_i = (|x_i| + |μ|)·r·|w| + |b| as the magnitude.
 */
function refNorm(
  x: F64, groups: number[][], eps: number, w: F64 | undefined, b: F64 | undefined, affineIndex: (i: number) => number,
  stats?: { mean: F64; variance: F64 },
): { y: F64; mag: F64; mean: F64; variance: F64 } {
  const st = stats ?? groupStats(x, groups);
  const y = new Float64Array(x.length), mag = new Float64Array(x.length);
  groups.forEach((idx, k) => {
    const r = 1 / Math.sqrt(st.variance[k]! + eps);
    for (const i of idx) {
      const a = affineIndex(i);
      const wi = w ? w[a]! : 1, bi = b ? b[a]! : 0;
      y[i] = (x[i]! - st.mean[k]!) * r * wi + bi;
      mag[i] = (Math.abs(x[i]!) + Math.abs(st.mean[k]!)) * r * Math.abs(wi) + Math.abs(bi);
    }
  });
  return { y, mag, ...st };
}

/**
 * Magnitude of the terms of the closed-form input gradient r·(g − mean(g) − x̂·mean(g·x̂)), g = dy·w:
 * r·(|g_i| + mean|g| + |x̂_i|·mean|g·x̂|), added to the finite-difference magnitude (the kernel
 * cancels these terms; an exactly-cancelling group, e.g. of one element, has FD magnitude 0).
 */
function normDxMag(
  fdMag: F64, x: F64, dy: F64, groups: number[][], st: { mean: ArrayLike<number>; variance: ArrayLike<number> },
  eps: number, w: F64, affineIndex: (i: number) => number,
): F64 {
  const mag = fdMag.slice();
  groups.forEach((idx, k) => {
    const r = 1 / Math.sqrt(st.variance[k]! + eps);
    let mg = 0, mgx = 0;
    for (const i of idx) {
      const g = Math.abs(dy[i]! * w[affineIndex(i)]!);
      mg += g / idx.length;
      mgx += (g * Math.abs(x[i]! - st.mean[k]!) * r) / idx.length;
    }
    for (const i of idx) {
      mag[i]! += r * (Math.abs(dy[i]! * w[affineIndex(i)]!) + mg + Math.abs(x[i]! - st.mean[k]!) * r * mgx);
    }
  });
  return mag;
}

describe('batchNorm', () => {
  const cases: [string, number[]][] = [
    ['[2,3,4,5]', [2, 3, 4, 5]],
    ['batch 1, C 1', [1, 1, 3, 3]],
    ['1x1 maps', [5, 4, 1, 1]],
    ['rank 3', [3, 2, 7]],
    ['rank 2', [6, 3]],
  ];
  for (const [name, shape] of cases) {
    for (const affine of [true, false]) {
      it(`inference, training, backward: ${name}${affine ? '' : ', no scale/offset'}`, () => {
        const r = rng(21);
        const [N, C] = shape as [number, number];
        const S = size(shape.slice(2));
        const x = rand(r, shape, -2, 3);
        const scale = affine ? rand(r, [C], 0.5, 1.5) : undefined;
        const offset = affine ? rand(r, [C], -1, 1) : undefined;
        const eps = 1e-3;
        const groups = channelGroups(N, C, S);
        const aff = (i: number) => Math.floor(i / S) % C;

        const runMean = rand(r, [C], -0.5, 0.5), runVar = rand(r, [C], 0.5, 2);
        const [yi] = call(batchNormInference, { x, mean: runMean, variance: runVar, scale, offset }, { eps });
        const refI = refNorm(f64(x), groups, eps, scale && f64(scale), offset && f64(offset), aff, {
          mean: f64(runMean), variance: f64(runVar),
        });
        expectClose(yi!.data, refI.y, refI.mag, 'inference y');

        const [y, mean, variance] = call(batchNormTraining, { x, scale, offset }, { eps });
        expect(mean!.shape).toEqual([C]);
        expect(variance!.shape).toEqual([C]);
        const ref = refNorm(f64(x), groups, eps, scale && f64(scale), offset && f64(offset), aff);
        expectClose(y!.data, ref.y, ref.mag, 'training y');
        expectClose(mean!.data, ref.mean, 2, 'batch mean');
        expectClose(variance!.data, ref.variance, 2, 'batch variance (biased)');

        const dy = rand(r, shape);
        const [dx, dscale, doffset] = call(batchNormBackward, { dy, x, mean, variance, scale }, { eps });
        const params = [f64(x), scale ? f64(scale) : new Float64Array(C).fill(1), offset ? f64(offset) : new Float64Array(C)];
        const fd = fdGrad(([xx, w, b]) => refNorm(xx!, groups, eps, w, b, aff).y, params, f64(dy));
        const dxMag = normDxMag(fd[0]!.mag, f64(x), f64(dy), groups, { mean: mean!.data, variance: variance!.data }, eps, params[1]!, aff);
        expectClose(dx!.data, fd[0]!.ref, dxMag, 'dx');
        expectClose(dscale!.data, fd[1]!.ref, fd[1]!.mag, 'dscale');
        expectClose(doffset!.data, fd[2]!.ref, fd[2]!.mag, 'doffset');
      });
    }
  }

  it('training statistics stay accurate for a large offset (two-pass, not E[x²] − E[x]²)', () => {
    const r = rng(8);
    const shape = [4, 2, 16, 16];
    const x = rand(r, shape, 1e4 - 1, 1e4 + 1);
    const [, mean, variance] = call(batchNormTraining, { x }, { eps: 1e-5 });
    const ref = groupStats(f64(x), channelGroups(4, 2, 256));
    expectClose(mean!.data, ref.mean, 0, 'mean');
    for (let c = 0; c < 2; c++) expect(Math.abs(variance!.data[c]! - ref.variance[c]!) / ref.variance[c]!).toBeLessThan(1e-6);
  });
});

describe('layerNorm', () => {
  const cases: [string, number[], number][] = [
    ['[4, 6] row 6', [4, 6], 6],
    ['[2, 3, 5] row 15', [2, 3, 5], 15],
    ['[3, 7] row 7 (odd)', [3, 7], 7],
    ['single element rows', [5, 1], 1],
    ['one row', [1, 9], 9],
  ];
  for (const [name, shape, L] of cases) {
    for (const affine of [true, false]) {
      it(`forward and backward: ${name}${affine ? '' : ', no weight/bias'}`, () => {
        const r = rng(31);
        const x = rand(r, shape, -2, 2);
        const weight = affine ? rand(r, [L], 0.5, 1.5) : undefined;
        const bias = affine ? rand(r, [L], -1, 1) : undefined;
        const eps = 1e-5;
        const rows = size(shape) / L;
        const groups = Array.from({ length: rows }, (_, k) => Array.from({ length: L }, (_, j) => k * L + j));
        const aff = (i: number) => i % L;
        const [y, mean, variance] = call(layerNorm, { x, weight, bias }, { rowSize: L, eps });
        expect(mean!.shape).toEqual([rows]);
        const ref = refNorm(f64(x), groups, eps, weight && f64(weight), bias && f64(bias), aff);
        expectClose(y!.data, ref.y, ref.mag, 'y');
        expectClose(mean!.data, ref.mean, 2, 'mean');
        expectClose(variance!.data, ref.variance, 2, 'variance');

        const dy = rand(r, shape);
        const [dx, dw, db] = call(layerNormBackward, { dy, x, mean, variance, weight }, { rowSize: L, eps });
        const params = [f64(x), weight ? f64(weight) : new Float64Array(L).fill(1), bias ? f64(bias) : new Float64Array(L)];
        const fd = fdGrad(([xx, w, b]) => refNorm(xx!, groups, eps, w, b, aff).y, params, f64(dy));
        const dxMag = normDxMag(fd[0]!.mag, f64(x), f64(dy), groups, { mean: mean!.data, variance: variance!.data }, eps, params[1]!, aff);
        expectClose(dx!.data, fd[0]!.ref, dxMag, 'dx');
        expectClose(dw!.data, fd[1]!.ref, fd[1]!.mag, 'dweight');
        expectClose(db!.data, fd[2]!.ref, fd[2]!.mag, 'dbias');
      });
    }
  }
});

describe('groupNorm', () => {
  const cases: [string, number[], number][] = [
    ['[2,6,3,3] G3', [2, 6, 3, 3], 3],
    ['G1 (layer-norm like)', [2, 4, 2, 3], 1],
    ['G=C (instance norm)', [2, 3, 4, 4], 3],
    ['batch 1, C 1', [1, 1, 5, 3], 1],
    ['1x1 maps, G2', [3, 4, 1, 1], 2],
    ['rank 3', [2, 4, 5], 2],
  ];
  for (const [name, shape, G] of cases) {
    for (const affine of [true, false]) {
      it(`forward and backward: ${name}${affine ? '' : ', no weight/bias'}`, () => {
        const r = rng(41);
        const [N, C] = shape as [number, number];
        const S = size(shape.slice(2));
        const x = rand(r, shape, -1, 2);
        const weight = affine ? rand(r, [C], 0.5, 1.5) : undefined;
        const bias = affine ? rand(r, [C], -1, 1) : undefined;
        const eps = 1e-4;
        const Cg = C / G;
        const groups: number[][] = [];
        for (let n = 0; n < N; n++) {
          for (let g = 0; g < G; g++) {
            const idx: number[] = [];
            for (let c = g * Cg; c < (g + 1) * Cg; c++) for (let s = 0; s < S; s++) idx.push((n * C + c) * S + s);
            groups.push(idx);
          }
        }
        const aff = (i: number) => Math.floor(i / S) % C;
        const [y, mean, variance] = call(groupNorm, { x, weight, bias }, { numGroups: G, eps });
        expect(mean!.shape).toEqual([N, G]);
        const ref = refNorm(f64(x), groups, eps, weight && f64(weight), bias && f64(bias), aff);
        expectClose(y!.data, ref.y, ref.mag, 'y');
        expectClose(mean!.data, ref.mean, 2, 'mean');
        expectClose(variance!.data, ref.variance, 2, 'variance');

        const dy = rand(r, shape);
        const [dx, dw, db] = call(groupNormBackward, { dy, x, mean, variance, weight }, { numGroups: G, eps });
        const params = [f64(x), weight ? f64(weight) : new Float64Array(C).fill(1), bias ? f64(bias) : new Float64Array(C)];
        const fd = fdGrad(([xx, w, b]) => refNorm(xx!, groups, eps, w, b, aff).y, params, f64(dy));
        const dxMag = normDxMag(fd[0]!.mag, f64(x), f64(dy), groups, { mean: mean!.data, variance: variance!.data }, eps, params[1]!, aff);
        expectClose(dx!.data, fd[0]!.ref, dxMag, 'dx');
        expectClose(dw!.data, fd[1]!.ref, fd[1]!.mag, 'dweight');
        expectClose(db!.data, fd[2]!.ref, fd[2]!.mag, 'dbias');
      });
    }
  }
});

describe('frn', () => {
  function refFrn(x: F64, shape: number[], eps: number, w: F64, b: F64): { y: F64; nu2: F64; mag: F64 } {
    const [N, C] = shape as [number, number];
    const S = size(shape.slice(2));
    const y = new Float64Array(x.length), nu2 = new Float64Array(N * C), mag = new Float64Array(x.length);
    for (let p = 0; p < N * C; p++) {
      let q = 0;
      for (let s = 0; s < S; s++) q += x[p * S + s]! ** 2;
      nu2[p] = q / S;
      const c = p % C;
      for (let s = 0; s < S; s++) {
        const i = p * S + s;
        y[i] = (w[c]! * x[i]!) / Math.sqrt(nu2[p]! + Math.abs(eps)) + b[c]!;
        mag[i] = Math.abs(y[i]! - b[c]!) + Math.abs(b[c]!);
      }
    }
    return { y, nu2, mag };
  }
  const cases: [string, number[], number][] = [
    ['[2,3,4,4]', [2, 3, 4, 4], 1e-6],
    ['negative eps (|eps| used, deps via sign)', [2, 2, 3, 5], -0.05],
    ['learnable-size eps', [1, 3, 2, 2], 0.3],
    ['1x1 maps', [3, 2, 1, 1], 0.1],
    ['batch 1, C 1, rank 3', [1, 1, 7], 0.02],
  ];
  for (const [name, shape, epsValue] of cases) {
    for (const affine of [true, false]) {
      it(`forward and backward: ${name}${affine ? '' : ', no weight/bias'}`, () => {
        const r = rng(51);
        const C = shape[1]!;
        const x = rand(r, shape, -2, 2);
        const weight = affine ? rand(r, [C], 0.5, 1.5) : undefined;
        const bias = affine ? rand(r, [C], -1, 1) : undefined;
        const eps = tensor([epsValue], [1]);
        const w64 = weight ? f64(weight) : new Float64Array(C).fill(1), b64 = bias ? f64(bias) : new Float64Array(C);
        const [y, nu2] = call(frn, { x, eps, weight, bias });
        expect(nu2!.shape).toEqual([shape[0]!, C]);
        const ref = refFrn(f64(x), shape, eps.data[0]!, w64, b64);
        expectClose(y!.data, ref.y, ref.mag, 'y');
        expectClose(nu2!.data, ref.nu2, ref.nu2, 'nu2');

        const dy = rand(r, shape);
        const [dx, dw, db, deps] = call(frnBackward, { dy, x, nu2, eps, weight });
        expect(deps!.shape).toEqual([1]);
        // step below |eps|: the finite difference must not cross the kink of |eps| at 0
        const h = Math.min(1e-5, Math.abs(epsValue) / 4);
        const fd = fdGrad(([xx, w, b, e]) => refFrn(xx!, shape, e![0]!, w!, b!).y, [f64(x), w64, b64, f64(eps)], f64(dy), h);
        expectClose(dx!.data, fd[0]!.ref, fd[0]!.mag, 'dx');
        expectClose(dw!.data, fd[1]!.ref, fd[1]!.mag, 'dweight');
        expectClose(db!.data, fd[2]!.ref, fd[2]!.mag, 'dbias');
        expectClose(deps!.data, fd[3]!.ref, fd[3]!.mag, 'deps');
      });
    }
  }
});

describe('tlu and relu', () => {
  for (const shape of [[2, 3, 4, 5], [1, 1, 1, 1], [3, 2, 7]]) {
    it(`tlu forward and backward [${shape}]`, () => {
      const r = rng(61);
      const C = shape[1]!;
      const x = distinct(r, shape);
      // tau halfway between ramp values: never equal to an x, so FD never crosses the kink
      const n = size(shape);
      const tau = tensor(Array.from({ length: C }, (_, c) => -1 + (2 * (Math.floor(((c + 1) * n) / (C + 2)) + 1)) / n), [C]);
      const S = size(shape.slice(2));
      const refTlu = ([xx, t]: F64[]) => xx!.map((v, i) => Math.max(v, t![Math.floor(i / S) % C]!));
      const [y] = call(tlu, { x, tau });
      expectClose(y!.data, refTlu([f64(x), f64(tau)]), 0, 'y');
      const dy = rand(r, shape);
      const [dx, dtau] = call(tluBackward, { dy, x, tau });
      expect(dtau!.shape).toEqual([C]);
      const fd = fdGrad(refTlu, [f64(x), f64(tau)], f64(dy), 1e-6);
      expectClose(dx!.data, fd[0]!.ref, fd[0]!.mag, 'dx');
      expectClose(dtau!.data, fd[1]!.ref, fd[1]!.mag, 'dtau');
    });
  }

  it('tlu at ties: gradient to tau (x ≤ tau), none to x', () => {
    const x = tensor([0, -1, 1, 0], [1, 2, 2]);
    const tau = tensor([0, 1], [2]);
    const [dx, dtau] = call(tluBackward, { dy: tensor([1, 2, 3, 4], [1, 2, 2]), x, tau });
    expect(Array.from(dx!.data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(dtau!.data)).toEqual([3, 7]);
  });

  it('relu forward and backward', () => {
    const r = rng(71);
    const x = distinct(r, [3, 4, 5]);
    x.data[7] = 0;
    const [y] = call(relu, { x });
    expect(Array.from(y!.data)).toEqual(Array.from(x.data, (v) => Math.max(v, 0)));
    const dy = rand(r, [3, 4, 5]);
    const [dx] = call(reluBackward, { dy, x });
    expect(Array.from(dx!.data)).toEqual(Array.from(x.data, (v, i) => (v > 0 ? dy.data[i]! : 0)));
    expect(dx!.data[7]).toBe(0);
    const [yn] = call(relu, { x: tensor([NaN, -1], [2]) });
    expect(Number.isNaN(yn!.data[0])).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// softmax family

function refSoftmax(x: F64, outer: number, K: number, inner: number, logOut: boolean): F64 {
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * K + k) * inner + i;
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, x[at(k)]!);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(x[at(k)]! - m);
      for (let k = 0; k < K; k++) y[at(k)] = logOut ? x[at(k)]! - m - Math.log(s) : Math.exp(x[at(k)]! - m) / s;
    }
  }
  return y;
}

describe('softmax and logSoftmax', () => {
  const cases: [number, number, number][] = [[4, 5, 1], [3, 7, 4], [1, 1, 1], [2, 3, 5], [1, 6, 1]];
  for (const [outer, K, inner] of cases) {
    for (const logOut of [false, true]) {
      it(`${logOut ? 'logSoftmax' : 'softmax'} outer ${outer} axis ${K} inner ${inner}`, () => {
        const r = rng(81);
        const shape = [outer, K, inner];
        const x = rand(r, shape, -4, 4);
        const attrs = { outer, axisSize: K, inner };
        const [y] = call(logOut ? logSoftmax : softmax, { x }, attrs);
        const ref = refSoftmax(f64(x), outer, K, inner, logOut);
        // magnitude: softmax terms are ≤ 1 relative to y itself; log softmax sums x, max and log Σ
        const mag = logOut ? Array.from(f64(x), (v) => Math.abs(v) + 5) : ref;
        expectClose(y!.data, ref, mag, 'y');

        const dy = rand(r, shape);
        const [dx] = call(logOut ? logSoftmaxBackward : softmaxBackward, { dy, y }, attrs);
        const fd = fdGrad(([xx]) => refSoftmax(xx!, outer, K, inner, logOut), [f64(x)], f64(dy));
        expectClose(dx!.data, fd[0]!.ref, fd[0]!.mag, 'dx');
      });
    }
  }

  it('is stable for large logits', () => {
    const x = tensor([1000, 1001, 1002, -1000, 0, 1000], [2, 3]);
    const [y] = call(softmax, { x }, { outer: 2, axisSize: 3, inner: 1 });
    expectClose(y!.data, refSoftmax(f64(x), 2, 3, 1, false), 1, 'softmax');
    const [ly] = call(logSoftmax, { x }, { outer: 2, axisSize: 3, inner: 1 });
    expectClose(ly!.data, refSoftmax(f64(x), 2, 3, 1, true), 2000, 'logSoftmax');
    expect(Array.from(ly!.data).every(Number.isFinite)).toBe(true);
  });
});

describe('softmaxCrossEntropy', () => {
  /** Class indices as the kernel receives them: a float32 [N] input tensor. */
  const labelInput = (labels: Int32Array): T => tensor(labels, [labels.length]);
  function refCe(x: F64, labels: Int32Array, N: number, K: number): F64 {
    let total = 0;
    for (let n = 0; n < N; n++) {
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, x[n * K + k]!);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(x[n * K + k]! - m);
      total += m + Math.log(s) - x[n * K + labels[n]!]!;
    }
    return Float64Array.of(total / N);
  }
  for (const [N, K] of [[4, 10], [1, 3], [7, 1], [3, 2]] as [number, number][]) {
    it(`forward and backward N ${N} K ${K}`, () => {
      const r = rng(91);
      const x = rand(r, [N, K], -3, 3);
      const labels = Int32Array.from({ length: N }, () => Math.floor(r() * K));
      const [loss] = call(softmaxCrossEntropy, { logits: x, labels: labelInput(labels) });
      expect(loss!.shape).toEqual([]);
      const ref = refCe(f64(x), labels, N, K);
      expectClose(loss!.data, ref, 10, 'loss');
      const dy = tensor([1.7], []);
      const [dl] = call(softmaxCrossEntropyBackward, { logits: x, labels: labelInput(labels), dy });
      expect(dl!.shape).toEqual([N, K]);
      const fd = fdGrad(([xx]) => refCe(xx!, labels, N, K), [f64(x)], f64(dy));
      expectClose(dl!.data, fd[0]!.ref, fd[0]!.mag, 'dlogits');
    });
  }

  it('is stable for large logits', () => {
    const x = tensor([1000, -1000, 0, 500, 501, 499], [2, 3]);
    const labels = Int32Array.of(1, 2);
    const [loss] = call(softmaxCrossEntropy, { logits: x, labels: labelInput(labels) });
    expectClose(loss!.data, refCe(f64(x), labels, 2, 3), 2000, 'loss');
    const [dl] = call(softmaxCrossEntropyBackward, { logits: x, labels: labelInput(labels), dy: tensor([1], []) });
    expect(Array.from(dl!.data).every(Number.isFinite)).toBe(true);
    expectClose(dl!.data, [0.5, -0.5, 0, 0.5 * 0.24472847, 0.5 * 0.66524096, 0.5 * (0.09003057 - 1)], 1, 'dlogits');
  });
});

// ---------------------------------------------------------------------------------------------
// elementwise, sum, broadcastTo

/** Index of out element `o` in an input of `shape` under NumPy broadcasting (from the definition). */
function broadcastIndex(o: number, outShape: number[], shape: readonly number[]): number {
  const coords: number[] = [];
  for (let d = outShape.length - 1; d >= 0; d--) {
    coords.unshift(o % outShape[d]!);
    o = Math.floor(o / outShape[d]!);
  }
  let idx = 0;
  const off = outShape.length - shape.length;
  for (let d = 0; d < shape.length; d++) idx = idx * shape[d]! + (shape[d] === 1 ? 0 : coords[d + off]!);
  return idx;
}

function broadcastShape(a: number[], b: number[]): number[] {
  const R = Math.max(a.length, b.length);
  return Array.from({ length: R }, (_, i) => {
    const da = a[a.length - R + i] ?? 1, db = b[b.length - R + i] ?? 1;
    return da === 1 ? db : da;
  });
}

describe('elementwise', () => {
  const binaries: [string, unknown, (p: number, q: number) => number][] = [
    ['add', add, (p, q) => p + q],
    ['sub', sub, (p, q) => p - q],
    ['mul', mul, (p, q) => p * q],
    ['div', div, (p, q) => p / q],
    ['maximum', maximum, (p, q) => Math.max(p, q)],
    ['minimum', minimum, (p, q) => Math.min(p, q)],
  ];
  const shapePairs: [number[], number[]][] = [
    [[2, 3, 4, 5], [2, 3, 4, 5]],
    [[2, 3, 4, 5], [1]],
    [[], [3, 2]],
    [[2, 3, 4, 5], [1, 3, 1, 1]],
    [[3, 1, 1], [2, 3, 4, 5]],
    [[4, 1], [1, 5]],
    [[2, 3, 4, 5], [5]],
    [[2, 1, 4, 1], [3, 1, 6]],
    [[1, 1], [1]],
    [[6, 1, 3], [6, 2, 3]],
  ];
  for (const [name, kernel, f] of binaries) {
    for (const [sa, sb] of shapePairs) {
      it(`${name} [${sa}] with [${sb}]`, () => {
        const r = rng(101);
        const a = rand(r, sa, -2, 2), b = rand(r, sb, 0.5, 2);
        const outShape = broadcastShape(sa, sb);
        const [y] = call(kernel, { a, b }, { outShape });
        expect(y!.shape).toEqual(outShape);
        const ref = Array.from({ length: size(outShape) }, (_, o) =>
          f(a.data[broadcastIndex(o, outShape, sa)]!, b.data[broadcastIndex(o, outShape, sb)]!));
        expectClose(y!.data, ref, 0, name);
        // and with the operands swapped (the scalar-contiguous run)
        const [y2] = call(kernel, { a: b, b: a }, { outShape });
        const ref2 = Array.from({ length: size(outShape) }, (_, o) =>
          f(b.data[broadcastIndex(o, outShape, sb)]!, a.data[broadcastIndex(o, outShape, sa)]!));
        expectClose(y2!.data, ref2, 0, `${name} swapped`);
      });
    }
  }

  it('maximum/minimum propagate NaN', () => {
    const a = tensor([NaN, 1, 2], [3]), b = tensor([0, NaN, 1], [3]);
    for (const k of [maximum, minimum]) {
      const [y] = call(k, { a, b }, { outShape: [3] });
      expect(Number.isNaN(y!.data[0])).toBe(true);
      expect(Number.isNaN(y!.data[1])).toBe(true);
    }
  });

  const unaries: [string, unknown, (v: number) => number][] = [
    ['neg', neg, (v) => -v],
    ['sqrt', sqrt, Math.sqrt],
    ['abs', abs, Math.abs],
    ['exp', exp, Math.exp],
    ['log', log, Math.log],
  ];
  for (const [name, kernel, f] of unaries) {
    it(name, () => {
      const x = rand(rng(111), [3, 5, 2], name === 'sqrt' || name === 'log' ? 0.01 : -3, 3);
      const [y] = call(kernel, { x });
      expect(y!.shape).toEqual([3, 5, 2]);
      const ref = Array.from(x.data, f);
      expectClose(y!.data, ref, 0, name);
    });
  }
});

describe('sum', () => {
  const cases: [number[], number[]][] = [
    [[2, 3, 4, 5], [0, 2, 3]],
    [[2, 3, 4, 5], [0]],
    [[2, 3, 4, 5], [3]],
    [[2, 3, 4, 5], [1, 3]],
    [[2, 3, 4, 5], [0, 1, 2, 3]],
    [[2, 1, 4, 5], [1, 2]],
    [[7], [0]],
    [[3, 4], []],
    [[1, 1, 3], [0, 1]],
    [[5, 6, 7], [0, 2]],
  ];
  for (const [shape, axes] of cases) {
    it(`[${shape}] over [${axes}]`, () => {
      const x = rand(rng(121), shape, -2, 2);
      const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const [y] = call(sum, { x }, { axes, outShape });
      expect(y!.shape).toEqual(outShape);
      const ref = new Float64Array(size(outShape)), mag = new Float64Array(ref.length);
      for (let i = 0; i < x.data.length; i++) {
        let rem = i, o = 0, stride = 1;
        for (let d = shape.length - 1; d >= 0; d--) {
          const c = rem % shape[d]!;
          rem = Math.floor(rem / shape[d]!);
          if (!axes.includes(d)) o += c * stride;
          stride *= outShape[d]!;
        }
        ref[o]! += x.data[i]!;
        mag[o]! += Math.abs(x.data[i]!);
      }
      expectClose(y!.data, ref, mag, 'sum');
    });
  }
});

describe('broadcastTo', () => {
  const cases: [number[], number[]][] = [
    [[3], [2, 3]],
    [[1], [2, 2, 2]],
    [[2, 3], [2, 3]],
    [[1, 3, 1, 1], [2, 3, 4, 5]],
    [[4, 1], [3, 4, 5]],
    [[], [2, 3]],
    [[2, 1, 3], [4, 2, 5, 3]],
  ];
  for (const [from, to] of cases) {
    it(`[${from}] → [${to}]`, () => {
      const x = rand(rng(131), from);
      const [y] = call(broadcastTo, { x }, { shape: to });
      expect(y!.shape).toEqual(to);
      const ref = Array.from({ length: size(to) }, (_, o) => x.data[broadcastIndex(o, to, from)]!);
      expect(Array.from(y!.data)).toEqual(ref);
    });
  }
});

describe('kernels never mutate their inputs', () => {
  it('norms, pools, softmax, elementwise', () => {
    const r = rng(141);
    const x = rand(r, [2, 4, 3, 3]);
    const dy = rand(r, [2, 4, 3, 3]);
    const before = [x.data.slice(), dy.data.slice()];
    const [, mean, variance] = call(batchNormTraining, { x }, { eps: 1e-5 });
    call(batchNormBackward, { dy, x, mean, variance }, { eps: 1e-5 });
    const [, gm, gv] = call(groupNorm, { x }, { numGroups: 2, eps: 1e-5 });
    call(groupNormBackward, { dy, x, mean: gm, variance: gv }, { numGroups: 2, eps: 1e-5 });
    call(softmax, { x }, { outer: 2, axisSize: 4, inner: 9 });
    call(add, { a: x, b: dy }, { outShape: [2, 4, 3, 3] });
    const g = geometry({ n: 2, c: 4, h: 3, w: 3, kh: 2, kw: 2, sh: 1, sw: 1 });
    call(maxPool2dBackward, { dy: rand(r, g.yShape.slice()), x }, { geometry: g });
    expect(x.data).toEqual(before[0]);
    expect(dy.data).toEqual(before[1]);
  });
});
