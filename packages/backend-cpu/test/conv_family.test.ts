import { describe, expect, it } from 'vitest';
import type { Conv2dGeometry } from '@hypercolumn/core';
import { cpuKernel, rng } from './helpers.js';

// Each kernel called as core calls it: output shapes from core's table, fresh handles back.
const conv2d = cpuKernel('conv2d'), conv2dBackpropInput = cpuKernel('conv2dBackpropInput');
const conv2dBackpropFilter = cpuKernel('conv2dBackpropFilter'), linear = cpuKernel('linear');
const matMul = cpuKernel('matMul'), reverseSpatial = cpuKernel('reverseSpatial');

const randInt = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
function randArray(r: () => number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}
const absOf = (a: ArrayLike<number>) => Float64Array.from(a, Math.abs);

interface Spec {
  N: number; C: number; H: number; W: number; O: number; kh: number; kw: number;
  sh: number; sw: number; dh: number; dw: number; pt: number; pb: number; pl: number; pr: number; G: number;
}

function geometry(s: Spec): Conv2dGeometry | null {
  const OH = Math.floor((s.H + s.pt + s.pb - s.dh * (s.kh - 1) - 1) / s.sh) + 1;
  const OW = Math.floor((s.W + s.pl + s.pr - s.dw * (s.kw - 1) - 1) / s.sw) + 1;
  if (OH < 1 || OW < 1) return null;
  return {
    batch: s.N, inChannels: s.C, inHeight: s.H, inWidth: s.W, outChannels: s.O,
    kernelHeight: s.kh, kernelWidth: s.kw, strideHeight: s.sh, strideWidth: s.sw,
    dilationHeight: s.dh, dilationWidth: s.dw, padTop: s.pt, padBottom: s.pb, padLeft: s.pl, padRight: s.pr,
    groups: s.G, outHeight: OH, outWidth: OW,
    xShape: [s.N, s.C, s.H, s.W], wShape: [s.O, s.C / s.G, s.kh, s.kw], yShape: [s.N, s.O, OH, OW],
  };
}

/** Visits every (n, o, oy, ox, c, ky, kx) term of the convolution sum, straight from the definition. */
function forEachTerm(g: Conv2dGeometry, f: (yi: number, xi: number, wi: number) => void): void {
  const cg = g.inChannels / g.groups, og = g.outChannels / g.groups;
  for (let n = 0; n < g.batch; n++)
    for (let o = 0; o < g.outChannels; o++) {
      const grp = Math.floor(o / og);
      for (let oy = 0; oy < g.outHeight; oy++)
        for (let ox = 0; ox < g.outWidth; ox++) {
          const yi = ((n * g.outChannels + o) * g.outHeight + oy) * g.outWidth + ox;
          for (let c = 0; c < cg; c++)
            for (let ky = 0; ky < g.kernelHeight; ky++) {
              const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
              if (iy < 0 || iy >= g.inHeight) continue;
              for (let kx = 0; kx < g.kernelWidth; kx++) {
                const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
                if (ix < 0 || ix >= g.inWidth) continue;
                const xi = ((n * g.inChannels + grp * cg + c) * g.inHeight + iy) * g.inWidth + ix;
                const wi = ((o * cg + c) * g.kernelHeight + ky) * g.kernelWidth + kx;
                f(yi, xi, wi);
              }
            }
        }
    }
}

function refConv(g: Conv2dGeometry, x: ArrayLike<number>, w: ArrayLike<number>, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(g.yShape.reduce((a, v) => a * v, 1));
  if (b) {
    const P = g.outHeight * g.outWidth;
    for (let i = 0; i < y.length; i++) y[i] = b[Math.floor(i / P) % g.outChannels];
  }
  forEachTerm(g, (yi, xi, wi) => (y[yi] += x[xi] * w[wi]));
  return y;
}
function refDx(g: Conv2dGeometry, dy: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(g.xShape.reduce((a, v) => a * v, 1));
  forEachTerm(g, (yi, xi, wi) => (dx[xi] += dy[yi] * w[wi]));
  return dx;
}
function refDw(g: Conv2dGeometry, x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  const dw = new Float64Array(g.wShape.reduce((a, v) => a * v, 1));
  forEachTerm(g, (yi, xi, wi) => (dw[wi] += dy[yi] * x[xi]));
  return dw;
}

function expectClose(got: Float32Array, ref: Float64Array, mag: Float64Array, what: string): void {
  expect(got.length, `${what}: length`).toBe(ref.length);
  let worst = 0, at = -1;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i] - ref[i]) - (1e-5 * mag[i] + 1e-4 * Math.abs(ref[i]));
    if (!(err <= worst)) { worst = err; at = i; }
    if (Number.isNaN(got[i])) { worst = Infinity; at = i; break; }
  }
  expect(at, `${what}: element ${at} got ${got[at]} want ${ref[at]} (m ${mag[at]})`).toBe(-1);
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

function checkAll(s: Spec, seed: number, withBias: boolean): void {
  const g = geometry(s);
  if (!g) return;
  const r = rng(seed);
  const name = JSON.stringify(s);
  const x = randArray(r, g.xShape.reduce((a, v) => a * v, 1));
  const w = randArray(r, g.wShape.reduce((a, v) => a * v, 1));
  const b = withBias ? randArray(r, s.O) : undefined;
  const dy = randArray(r, g.yShape.reduce((a, v) => a * v, 1));
  const x0 = x.slice(), w0 = w.slice(), dy0 = dy.slice();

  const y = conv2d({ x: { data: x, shape: g.xShape }, w: { data: w, shape: g.wShape }, ...(b ? { b: { data: b, shape: [s.O] } } : {}) }, { geometry: g });
  expect(y.shape).toEqual(g.yShape);
  expectClose(y.data, refConv(g, x, w, b), refConv(g, absOf(x), absOf(w), b && absOf(b)), `conv2d ${name}`);

  const dx = conv2dBackpropInput({ dy: { data: dy, shape: g.yShape }, w: { data: w, shape: g.wShape } }, { geometry: g });
  expect(dx.shape).toEqual(g.xShape);
  expectClose(dx.data, refDx(g, dy, w), refDx(g, absOf(dy), absOf(w)), `conv2dBackpropInput ${name}`);

  const dw = conv2dBackpropFilter({ x: { data: x, shape: g.xShape }, dy: { data: dy, shape: g.yShape } }, { geometry: g });
  expect(dw.shape).toEqual(g.wShape);
  expectClose(dw.data, refDw(g, x, dy), refDw(g, absOf(x), absOf(dy)), `conv2dBackpropFilter ${name}`);

  // adjoint identity in float64: <conv(x, w), dy> = <x, dX> = <w, dW>
  const yRef = refConv(g, x, w);
  const lhs = dot(yRef, dy);
  const scale = dot(refConv(g, absOf(x), absOf(w)), absOf(dy)) + 1e-30;
  expect(Math.abs(dot(x, dx.data) - lhs) / scale).toBeLessThan(1e-5);
  expect(Math.abs(dot(w, dw.data) - lhs) / scale).toBeLessThan(1e-5);

  // inputs untouched
  expect(x).toEqual(x0);
  expect(w).toEqual(w0);
  expect(dy).toEqual(dy0);
}

const base: Spec = { N: 1, C: 1, H: 5, W: 5, O: 1, kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pb: 0, pl: 0, pr: 0, G: 1 };

describe('conv2d family: fixed geometries', () => {
  const cases: [string, Partial<Spec>][] = [
    ['plain 3x3', { C: 3, O: 4, H: 7, W: 6 }],
    ['1x1 map, 1x1 kernel', { C: 2, O: 3, H: 1, W: 1, kh: 1, kw: 1 }],
    ['1x1 map, padded 3x3', { C: 2, O: 3, H: 1, W: 1, pt: 1, pb: 1, pl: 1, pr: 1 }],
    ['pointwise (im2col = x)', { N: 2, C: 5, O: 7, H: 4, W: 3, kh: 1, kw: 1 }],
    ['pointwise stride 2', { N: 2, C: 5, O: 7, H: 5, W: 5, kh: 1, kw: 1, sh: 2, sw: 2 }],
    ['stride > kernel', { C: 2, O: 3, H: 11, W: 9, kh: 2, kw: 2, sh: 3, sw: 4 }],
    ['dilation', { C: 2, O: 2, H: 9, W: 10, dh: 2, dw: 3, pt: 2, pb: 1, pl: 3, pr: 0 }],
    ['asymmetric padding', { C: 3, O: 2, H: 6, W: 7, kh: 4, kw: 2, pt: 3, pb: 0, pl: 0, pr: 1 }],
    ['groups', { N: 2, C: 6, O: 9, G: 3, H: 6, W: 5, pt: 1, pb: 1, pl: 1, pr: 1 }],
    ['depthwise', { N: 2, C: 5, O: 5, G: 5, H: 7, W: 7, pt: 1, pb: 1, pl: 1, pr: 1 }],
    ['depthwise multiplier 2, stride 2', { C: 4, O: 8, G: 4, H: 9, W: 8, sh: 2, sw: 2, pt: 1, pb: 1, pl: 1, pr: 1 }],
    ['LeNet conv E (batch 3)', { N: 3, C: 1, O: 6, H: 28, W: 28, kh: 5, kw: 5, pt: 2, pb: 2, pl: 2, pr: 2 }],
    ['LeNet conv 2', { N: 2, C: 6, O: 16, H: 14, W: 14, kh: 5, kw: 5 }],
    ['row-direct 5x5, 8+4+1 blocks, asym pad', { N: 2, C: 1, O: 6, H: 9, W: 22, kh: 5, kw: 5, pt: 2, pb: 1, pl: 3, pr: 0 }],
    ['row-direct 3x3, pad past kernel', { C: 2, O: 3, H: 5, W: 13, pt: 4, pb: 3, pl: 3, pr: 4 }],
    ['row-direct 5x5, crop past kernel', { C: 1, O: 2, H: 12, W: 19, kh: 5, kw: 5, pt: 0, pb: 0, pl: 0, pr: 0 }],
    ['winograd 3x3 p1', { N: 2, C: 16, O: 12, H: 9, W: 11, pt: 1, pb: 1, pl: 1, pr: 1 }],
    ['winograd 3x3 p0 odd', { C: 9, O: 10, H: 13, W: 7 }],
    ['winograd 3x3 asym pad', { C: 8, O: 8, H: 10, W: 9, pt: 2, pb: 0, pl: 0, pr: 2 }],
    ['winograd 3x3 groups', { N: 2, C: 32, O: 24, G: 2, H: 8, W: 8, pt: 1, pb: 1, pl: 1, pr: 1 }],
    ['winograd 3x3 large pad', { C: 8, O: 9, H: 5, W: 6, pt: 3, pb: 2, pl: 2, pr: 3 }],
    ['winograd tile chunks (many tiles)', { N: 3, C: 8, O: 8, H: 30, W: 27, pt: 1, pb: 1, pl: 1, pr: 1 }],
    ['big K, M (blocking)', { C: 20, O: 130, H: 12, W: 12, kh: 3, kw: 3, sh: 2, sw: 1, pt: 1, pb: 1, pl: 1, pr: 1 }],
    ['big N (blocking)', { C: 3, O: 7, H: 30, W: 25, kh: 2, kw: 2, pt: 1, pb: 0, pl: 0, pr: 0 }],
    ['conv A shaped (small)', { C: 64, O: 64, H: 12, W: 12, pt: 1, pb: 1, pl: 1, pr: 1 }],
  ];
  cases.forEach(([name, over], i) => {
    it(name, () => {
      checkAll({ ...base, ...over }, 1000 + i, true);
      checkAll({ ...base, ...over }, 2000 + i, false);
    });
  });
});

describe('conv2d family: random geometries', () => {
  it('300 seeded random geometries', () => {
    const r = rng(42);
    let done = 0;
    for (let t = 0; t < 2000 && done < 300; t++) {
      const G = r() < 0.3 ? randInt(r, 2, 4) : 1;
      const depthwise = G > 1 && r() < 0.4;
      const cg = depthwise ? 1 : randInt(r, 1, r() < 0.2 ? 12 : 4);
      const og = randInt(r, 1, r() < 0.2 ? 12 : 4);
      const k3 = r() < 0.25;
      const s: Spec = {
        N: randInt(r, 1, 3), C: cg * G, O: og * G, G,
        H: randInt(r, 1, 12), W: randInt(r, 1, 12),
        kh: k3 ? 3 : randInt(r, 1, 4), kw: k3 ? 3 : randInt(r, 1, 4),
        sh: k3 ? 1 : randInt(r, 1, 4), sw: k3 ? 1 : randInt(r, 1, 4),
        dh: k3 || r() < 0.6 ? 1 : randInt(r, 2, 3), dw: k3 || r() < 0.6 ? 1 : randInt(r, 2, 3),
        pt: randInt(r, 0, 3), pb: randInt(r, 0, 3), pl: randInt(r, 0, 3), pr: randInt(r, 0, 3),
      };
      if (!geometry(s)) continue;
      checkAll(s, 5000 + t, r() < 0.5);
      done++;
    }
    expect(done).toBe(300);
  });
  it('random Winograd-eligible geometries (3x3 s1, many channels)', () => {
    const r = rng(7);
    for (let t = 0; t < 25; t++) {
      const G = r() < 0.3 ? 2 : 1;
      const s: Spec = {
        ...base, N: randInt(r, 1, 2), G, C: randInt(r, 8, 20) * G, O: randInt(r, 8, 20) * G,
        H: randInt(r, 3, 17), W: randInt(r, 3, 17),
        pt: randInt(r, 0, 2), pb: randInt(r, 0, 2), pl: randInt(r, 0, 2), pr: randInt(r, 0, 2),
      };
      checkAll(s, 9000 + t, r() < 0.5);
    }
  });
});

function refMatMul(M: number, N: number, K: number, A: (i: number, k: number) => number, B: (k: number, j: number) => number) {
  const y = new Float64Array(M * N), m = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0, a = 0;
      for (let k = 0; k < K; k++) {
        s += A(i, k) * B(k, j);
        a += Math.abs(A(i, k) * B(k, j));
      }
      y[i * N + j] = s;
      m[i * N + j] = a;
    }
  return [y, m] as const;
}

describe('matMul / linear', () => {
  const sizes: [number, number, number][] = [[1, 1, 1], [3, 5, 7], [7, 1, 9], [13, 17, 1], [130, 300, 530], [61, 9, 70]];
  for (const [M, K, N] of sizes) {
    for (const tA of [false, true]) for (const tB of [false, true]) {
      it(`matMul ${M}x${K}x${N} tA=${tA} tB=${tB}`, () => {
        const r = rng(M * 1000 + K * 10 + N + (tA ? 1 : 0) + (tB ? 2 : 0));
        const a = randArray(r, M * K), b = randArray(r, K * N);
        const aShape = tA ? [K, M] : [M, K], bShape = tB ? [N, K] : [K, N];
        const A = (i: number, k: number) => (tA ? a[k * M + i] : a[i * K + k]);
        const B = (k: number, j: number) => (tB ? b[j * K + k] : b[k * N + j]);
        const y = matMul({ a: { data: a, shape: aShape }, b: { data: b, shape: bShape } }, { transposeA: tA, transposeB: tB });
        expect(y.shape).toEqual([M, N]);
        const [ref, mag] = refMatMul(M, N, K, A, B);
        expectClose(y.data, ref, mag, 'matMul');
      });
    }
  }
  for (const [N, IN, OUT] of [[1, 1, 1], [4, 7, 3], [64, 400, 120], [5, 130, 10]] as const) {
    for (const withB of [false, true]) {
      it(`linear ${N}x${IN} -> ${OUT} bias=${withB}`, () => {
        const r = rng(N * 7 + IN * 3 + OUT);
        const x = randArray(r, N * IN), w = randArray(r, OUT * IN), b = randArray(r, OUT);
        const y = linear({ x: { data: x, shape: [N, IN] }, w: { data: w, shape: [OUT, IN] }, ...(withB ? { b: { data: b, shape: [OUT] } } : {}) }, {});
        expect(y.shape).toEqual([N, OUT]);
        const [ref, mag] = refMatMul(N, OUT, IN, (i, k) => x[i * IN + k], (k, j) => w[j * IN + k]);
        if (withB) for (let i = 0; i < N * OUT; i++) { ref[i] += b[i % OUT]; mag[i] += Math.abs(b[i % OUT]); }
        expectClose(y.data, ref, mag, 'linear');
      });
    }
  }
});

describe('reverseSpatial', () => {
  for (const shape of [[1, 1], [3, 4], [2, 3, 5, 1], [2, 2, 4, 3], [1, 6], [2, 1, 1, 2, 3]]) {
    it(`shape ${shape.join('x')}`, () => {
      const n = shape.reduce((a, v) => a * v, 1);
      const x = randArray(rng(n), n);
      const y = reverseSpatial({ x: { data: x, shape } }, {});
      expect(y.shape).toEqual(shape);
      const H = shape[shape.length - 2], W = shape[shape.length - 1];
      for (let i = 0; i < n; i++) {
        const p = Math.floor(i / (H * W)), r = Math.floor((i % (H * W)) / W), c = i % W;
        expect(y.data[i]).toBe(x[p * H * W + (H - 1 - r) * W + (W - 1 - c)]);
      }
    });
  }
});
