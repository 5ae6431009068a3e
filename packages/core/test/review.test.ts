// Review: the public API as a PyTorch user meets it on the cpu backend (DESIGN §2, §3).
// The tests pin behaviour worth keeping; those commented "Was a bug" reproduce departures the review
// found (now fixed), so they cannot come back.
// Every numeric reference here is an independent float64 loop written from the definition.
import '@hypercolumn/backend-cpu';
import { createCpuBackend } from '@hypercolumn/backend-cpu';
import * as hc from '@hypercolumn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectHcError, vals } from './helpers.js';

beforeAll(async () => {
  await hc.setBackend('cpu');
});

// ------------------------------------------------------------------ helpers

/** Deterministic values in [-1, 1) (own LCG: independent of hc's generator). */
function seq(n: number, seed = 1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(Math.fround((s / 4294967296) * 2 - 1));
  }
  return out;
}
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const T = (shape: number[], seed = 1, requiresGrad = false) => hc.tensor(seq(prod(shape), seed), shape, { requiresGrad });

/** Runs fn inside hc.scope; live tensors and bytes must be the same afterwards. */
function expectNoLeak(fn: () => unknown): void {
  const before = hc.memory();
  hc.scope(() => {
    fn();
  });
  const after = hc.memory();
  expect(after.numTensors, 'live tensors after scope').toBe(before.numTensors);
  expect(after.numBytes, 'live bytes after scope').toBe(before.numBytes);
}

/** Live tensors/bytes unchanged by a call that throws a HypercolumnError (no leak on the error path). */
function expectThrowsWithoutLeak(fn: () => unknown, ...fragments: string[]): void {
  const before = hc.memory();
  expectHcError(fn, ...fragments);
  const after = hc.memory();
  expect(after.numTensors, 'live tensors after a failed op').toBe(before.numTensors);
  expect(after.numBytes, 'live bytes after a failed op').toBe(before.numBytes);
}

// float64 references -------------------------------------------------

interface ConvRef {
  stride?: [number, number];
  pad?: [number, number, number, number]; // top, bottom, left, right
  dil?: [number, number];
  groups?: number;
  flip?: boolean;
}
function conv2dRef(x: number[], xs: number[], w: number[], ws: number[], b: number[] | null, o: ConvRef = {}): { y: number[]; shape: number[] } {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [O, Cg, KH, KW] = ws as [number, number, number, number];
  const [sh, sw] = o.stride ?? [1, 1];
  const [pt, pb, pl, pr] = o.pad ?? [0, 0, 0, 0];
  const [dh, dw] = o.dil ?? [1, 1];
  const g = o.groups ?? 1;
  const OH = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const y: number[] = [];
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++) {
      const grp = Math.floor(oc / (O / g));
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = b ? b[oc]! : 0;
          for (let ic = 0; ic < Cg; ic++)
            for (let ky = 0; ky < KH; ky++)
              for (let kx = 0; kx < KW; kx++) {
                const iy = oy * sh - pt + ky * dh;
                const ix = ox * sw - pl + kx * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const wy = o.flip ? KH - 1 - ky : ky;
                const wx = o.flip ? KW - 1 - kx : kx;
                s += x[((n * C + grp * Cg + ic) * H + iy) * W + ix]! * w[((oc * Cg + ic) * KH + wy) * KW + wx]!;
              }
          y.push(s);
        }
    }
  return { y, shape: [N, O, OH, OW] };
}

interface PoolRef {
  k: [number, number];
  s?: [number, number];
  p?: [number, number];
  d?: [number, number];
  ceil?: boolean;
  countIncludePad?: boolean;
}
/** PyTorch's pooling rules, written from aten/src/ATen/native/Pool.h and AvgPoolKernel. */
function poolRef(kind: 'max' | 'avg', x: number[], xs: number[], o: PoolRef): { y: number[]; shape: number[] } {
  const [N, C, H, W] = xs as [number, number, number, number];
  const [kh, kw] = o.k;
  const [sh, sw] = o.s ?? o.k;
  const [ph, pw] = o.p ?? [0, 0];
  const [dh, dw] = o.d ?? [1, 1];
  const outLen = (L: number, k: number, s: number, p: number, d: number) => {
    const num = L + 2 * p - d * (k - 1) - 1;
    let out = (o.ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
    if (o.ceil && (out - 1) * s >= L + p) out--;
    return out;
  };
  const OH = outLen(H, kh, sh, ph, dh);
  const OW = outLen(W, kw, sw, pw, dw);
  const y: number[] = [];
  for (let nc = 0; nc < N * C; nc++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        if (kind === 'max') {
          let m = -Infinity;
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) m = Math.max(m, x[(nc * H + iy) * W + ix]!);
            }
          y.push(m);
        } else {
          let hs = oy * sh - ph, ws = ox * sw - pw;
          let he = Math.min(hs + kh, H + ph), we = Math.min(ws + kw, W + pw);
          const poolSize = (he - hs) * (we - ws);
          hs = Math.max(hs, 0); ws = Math.max(ws, 0); he = Math.min(he, H); we = Math.min(we, W);
          let s = 0;
          for (let iy = hs; iy < he; iy++) for (let ix = ws; ix < we; ix++) s += x[(nc * H + iy) * W + ix]!;
          y.push(s / ((o.countIncludePad ?? true) ? poolSize : (he - hs) * (we - ws)));
        }
      }
  return { y, shape: [N, C, OH, OW] };
}

// ------------------------------------------------------------------ numerics vs float64

describe('numerics against float64 references', () => {
  it("conv2d 'same' with stride 2 and dilation pads SAME_UPPER (odd pixel bottom/right)", () => {
    const xs = [1, 2, 7, 6], ws = [3, 2, 3, 2];
    const x = seq(prod(xs), 3), w = seq(prod(ws), 4), b = seq(3, 5);
    // out = ceil(7/2)=4, total = (4-1)*2 + 2*(3-1)+1 - 7 = 4 → 2/2; W: out 3, total (3-1)*2 + 2*(2-1)+1 - 6 = 1 → 0/1
    const ref = conv2dRef(x, xs, w, ws, b, { stride: [2, 2], dil: [2, 2], pad: [2, 2, 0, 1] });
    const y = hc.conv2d(hc.tensor(x, xs), hc.tensor(w, ws), hc.tensor(b, [3]), { stride: 2, dilation: 2, padding: 'same' });
    expect(y.shape).toEqual(ref.shape);
    expectClose(vals(y), ref.y);
  });

  it('conv2d with 4-sided padding, groups and true convolution mode', () => {
    const xs = [2, 4, 5, 6], ws = [6, 2, 3, 2];
    const x = seq(prod(xs), 6), w = seq(prod(ws), 7);
    const ref = conv2dRef(x, xs, w, ws, null, { pad: [0, 2, 1, 0], groups: 2, flip: true });
    const y = hc.conv2d(hc.tensor(x, xs), hc.tensor(w, ws), null, { padding: [0, 2, 1, 0], groups: 2, mode: 'convolution' });
    expect(y.shape).toEqual(ref.shape);
    expectClose(vals(y), ref.y);
  });

  it("conv1d 'same' with an even kernel and [left, right] padding", () => {
    const x = seq(2 * 3 * 9, 8), w = seq(4 * 3 * 4, 9);
    // k=4, stride 1: total 3 → left 1, right 2
    const ref = conv2dRef(x, [2, 3, 1, 9], w, [4, 3, 1, 4], null, { pad: [0, 0, 1, 2] });
    const y = hc.conv1d(hc.tensor(x, [2, 3, 9]), hc.tensor(w, [4, 3, 4]), null, { padding: 'same' });
    expect(y.shape).toEqual([2, 4, 9]);
    expectClose(vals(y), ref.y);
    const y2 = hc.conv1d(hc.tensor(x, [2, 3, 9]), hc.tensor(w, [4, 3, 4]), null, { padding: [1, 2] });
    expectClose(vals(y2), ref.y);
  });

  it('1×1 maps and batch 1: conv 3×3 pad 1, pools, GAP, FRN', () => {
    const x = seq(1 * 3 * 1 * 1, 10), w = seq(2 * 3 * 3 * 3, 11);
    const ref = conv2dRef(x, [1, 3, 1, 1], w, [2, 3, 3, 3], null, { pad: [1, 1, 1, 1] });
    const xt = hc.tensor(x, [1, 3, 1, 1]);
    expectClose(vals(hc.conv2d(xt, hc.tensor(w, [2, 3, 3, 3]), null, { padding: 1 })), ref.y);
    expect(vals(hc.maxPool2d(xt, { kernelSize: 1 }))).toEqual(x);
    expectClose(vals(hc.maxPool2d(xt, { kernelSize: 3, stride: 1, padding: 1 })), x);
    // countIncludePad: 1 value / 9 cells
    expectClose(vals(hc.avgPool2d(xt, { kernelSize: 3, stride: 1, padding: 1 })), x.map((v) => v / 9));
    expectClose(vals(hc.avgPool2d(xt, { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false })), x);
    expectClose(vals(hc.globalAvgPool2d(xt)), x);
    // FRN on 1×1: ν² = x², y = x/√(x² + eps)
    expectClose(vals(hc.frn(xt)), x.map((v) => v / Math.sqrt(v * v + 1e-6)));
  });

  it('avgPool2d ceilMode × countIncludePad × padding follows PyTorch divisors', () => {
    const xs = [1, 2, 7, 8];
    const x = seq(prod(xs), 12);
    for (const ceil of [false, true])
      for (const cip of [false, true])
        for (const [k, s, p] of [[3, 2, 1], [2, 3, 0], [3, 3, 1], [4, 3, 2]] as const) {
          const ref = poolRef('avg', x, xs, { k: [k, k], s: [s, s], p: [p, p], ceil, countIncludePad: cip });
          const y = hc.avgPool2d(hc.tensor(x, xs), { kernelSize: k, stride: s, padding: p, ceilMode: ceil, countIncludePad: cip });
          expect(y.shape, `k${k} s${s} p${p} ceil ${ceil}`).toEqual(ref.shape);
          expectClose(vals(y), ref.y);
        }
  });

  it('maxPool2d ceilMode with padding and dilation follows PyTorch', () => {
    const xs = [2, 1, 9, 7];
    const x = seq(prod(xs), 13);
    for (const ceil of [false, true])
      for (const [k, s, p, d] of [[3, 2, 1, 1], [2, 2, 1, 2], [3, 3, 0, 2], [2, 4, 1, 1]] as const) {
        const ref = poolRef('max', x, xs, { k: [k, k], s: [s, s], p: [p, p], d: [d, d], ceil });
        const y = hc.maxPool2d(hc.tensor(x, xs), { kernelSize: k, stride: s, padding: p, dilation: d, ceilMode: ceil });
        expect(y.shape, `k${k} s${s} p${p} d${d} ceil ${ceil}`).toEqual(ref.shape);
        expect(vals(y)).toEqual(ref.y.map(Math.fround));
      }
  });

  it('maxPool1d / avgPool1d on [N, C, L] equal the 1-d definitions', () => {
    const x = seq(2 * 3 * 10, 14);
    const ref = poolRef('avg', x, [2, 3, 1, 10], { k: [1, 3], s: [1, 2], p: [0, 1], ceil: true, countIncludePad: false });
    const y = hc.avgPool1d(hc.tensor(x, [2, 3, 10]), { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
    expect(y.shape).toEqual([2, 3, ref.shape[3]!]);
    expectClose(vals(y), ref.y);
    const rm = poolRef('max', x, [2, 3, 1, 10], { k: [1, 4], s: [1, 3], p: [0, 2], d: [1, 1] });
    const ym = hc.maxPool1d(hc.tensor(x, [2, 3, 10]), { kernelSize: 4, stride: 3, padding: 2 });
    expect(ym.shape).toEqual([2, 3, rm.shape[3]!]);
    expect(vals(ym)).toEqual(rm.y);
  });

  it('crossEntropy: value and gradient (softmax − onehot)/N, stable for large logits', () => {
    const N = 3, K = 4;
    const logits = [1000, -1000, 0, 3, 0.5, -0.25, 2, 1, -3, 4, 4, 0];
    const labels = [1, 2, 3];
    let loss = 0;
    const grad: number[] = [];
    for (let n = 0; n < N; n++) {
      const row = logits.slice(n * K, n * K + K);
      const m = Math.max(...row);
      const z = row.reduce((a, v) => a + Math.exp(v - m), 0);
      loss += (m + Math.log(z) - row[labels[n]!]!) / N;
      row.forEach((v, k) => grad.push((Math.exp(v - m) / z - (k === labels[n] ? 1 : 0)) / N));
    }
    const lt = hc.tensor(logits, [N, K], { requiresGrad: true });
    const l = hc.crossEntropy(lt, Int32Array.from(labels));
    expect(l.shape).toEqual([]);
    expectClose([l.item()], [loss]);
    l.backward();
    expectClose(vals(lt.grad!), grad);
  });

  it('layerNorm without affine: forward and input gradient', () => {
    const rows = 3, L = 5;
    const x = seq(rows * L, 15), dy = seq(rows * L, 16);
    const yRef: number[] = [], dxRef: number[] = [];
    for (let r = 0; r < rows; r++) {
      const xr = x.slice(r * L, r * L + L), gr = dy.slice(r * L, r * L + L);
      const mu = xr.reduce((a, b) => a + b, 0) / L;
      const v = xr.reduce((a, b) => a + (b - mu) ** 2, 0) / L;
      const inv = 1 / Math.sqrt(v + 1e-5);
      const xh = xr.map((b) => (b - mu) * inv);
      const mg = gr.reduce((a, b) => a + b, 0) / L;
      const mgx = gr.reduce((a, b, i) => a + b * xh[i]!, 0) / L;
      yRef.push(...xh);
      dxRef.push(...gr.map((g, i) => inv * (g - mg - xh[i]! * mgx)));
    }
    const xt = hc.tensor(x, [rows, L], { requiresGrad: true });
    const y = hc.layerNorm(xt, L);
    expectClose(vals(y), yRef);
    y.backward(hc.tensor(dy, [rows, L]));
    expectClose(vals(xt.grad!), dxRef);
  });

  it('batchNorm training with batch 1 (N=1, H·W>1): unbiased running variance', () => {
    const xs = [1, 2, 2, 3];
    const x = seq(prod(xs), 17);
    const rm = hc.tensor([0.5, -0.5], [2]), rv = hc.tensor([2, 3], [2]);
    const y = hc.batchNorm(hc.tensor(x, xs), rm, rv, null, null, { training: true, momentum: 0.3 });
    const yRef: number[] = [];
    const rmRef: number[] = [], rvRef: number[] = [];
    for (let c = 0; c < 2; c++) {
      const v = x.slice(c * 6, c * 6 + 6);
      const mu = v.reduce((a, b) => a + b, 0) / 6;
      const varB = v.reduce((a, b) => a + (b - mu) ** 2, 0) / 6;
      yRef.push(...v.map((b) => (b - mu) / Math.sqrt(varB + 1e-5)));
      rmRef.push(0.7 * [0.5, -0.5][c]! + 0.3 * mu);
      rvRef.push(0.7 * [2, 3][c]! + 0.3 * varB * 6 / 5);
    }
    expectClose(vals(y), yRef);
    expectClose(vals(rm), rmRef);
    expectClose(vals(rv), rvRef);
  });

  it('softmax / logSoftmax along dim 0 and 1 of a rank-3 tensor', () => {
    const shape = [2, 3, 4];
    const x = seq(24, 18);
    for (const dim of [0, 1, -1]) {
      const axis = dim < 0 ? dim + 3 : dim;
      const ref: number[] = new Array(24);
      const strides = [12, 4, 1];
      for (let i = 0; i < 24; i++) {
        const idx = [Math.floor(i / 12), Math.floor(i / 4) % 3, i % 4];
        const others: number[] = [];
        for (let j = 0; j < shape[axis]!; j++) others.push(x[i + (j - idx[axis]!) * strides[axis]!]!);
        const m = Math.max(...others);
        ref[i] = Math.exp(x[i]! - m) / others.reduce((a, v) => a + Math.exp(v - m), 0);
      }
      expectClose(vals(hc.softmax(hc.tensor(x, shape), dim)), ref);
      expectClose(vals(hc.logSoftmax(hc.tensor(x, shape), dim)), ref.map(Math.log));
    }
  });

  it('linear accepts a rank-1 input (PyTorch F.linear) and rank-3 inputs', () => {
    const w = seq(3 * 4, 19), b = seq(3, 20), x = seq(4, 21);
    const ref = [0, 1, 2].map((o) => b[o]! + x.reduce((a, v, i) => a + v * w[o * 4 + i]!, 0));
    const y = hc.linear(hc.tensor(x, [4]), hc.tensor(w, [3, 4]), hc.tensor(b, [3]));
    expect(y.shape).toEqual([3]);
    expectClose(vals(y), ref);
    const y3 = hc.linear(hc.tensor([...x, ...x], [1, 2, 4]), hc.tensor(w, [3, 4]), hc.tensor(b, [3]));
    expect(y3.shape).toEqual([1, 2, 3]);
    expectClose(vals(y3), [...ref, ...ref]);
  });

  it('FRN + TLU with eps: y = max(γx/√(mean x² + |eps|) + β, τ)', () => {
    const xs = [2, 2, 2, 2];
    const x = seq(16, 22);
    const g = [1.5, -0.5], bb = [0.1, -0.2], tau = [0.05, -0.3], eps = 0.01;
    const ref: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 2; c++) {
        const v = x.slice((n * 2 + c) * 4, (n * 2 + c) * 4 + 4);
        const nu2 = v.reduce((a, b) => a + b * b, 0) / 4;
        ref.push(...v.map((b) => Math.max((g[c]! * b) / Math.sqrt(nu2 + eps) + bb[c]!, tau[c]!)));
      }
    const y = hc.tlu(hc.frn(hc.tensor(x, xs), hc.tensor(g, [2]), hc.tensor(bb, [2]), { eps }), hc.tensor(tau, [2]));
    expectClose(vals(y), ref);
  });
});

// ------------------------------------------------------------------ leaks: forward and backward

describe('no tensor leaks: every op inside hc.scope, forward and backward', () => {
  const cases: [string, () => void][] = [
    ['conv2d (bias, groups, dilation, same, stride 2)', () => {
      const x = T([2, 4, 7, 7], 1, true), w = T([6, 2, 3, 3], 2, true), b = T([6], 3, true);
      hc.sum(hc.conv2d(x, w, b, { groups: 2, dilation: 2, padding: 'same', stride: 2 })).backward();
    }],
    ['conv2d mode convolution', () => {
      const x = T([1, 2, 5, 5], 1, true), w = T([3, 2, 3, 2], 2, true);
      hc.sum(hc.conv2d(x, w, null, { mode: 'convolution', padding: 1 })).backward();
    }],
    ['conv1d with bias', () => {
      const x = T([2, 3, 9], 1, true), w = T([4, 3, 3], 2, true), b = T([4], 3, true);
      hc.sum(hc.conv1d(x, w, b, { padding: 'same', stride: 2 })).backward();
    }],
    ['maxPool2d / avgPool2d', () => {
      const x = T([2, 2, 6, 6], 1, true);
      hc.sum(hc.add(hc.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), hc.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }))).backward();
    }],
    ['maxPool1d / avgPool1d / globalAvgPool1d', () => {
      const x = T([2, 2, 9], 1, true);
      hc.sum(hc.maxPool1d(x, { kernelSize: 2 })).backward();
      hc.sum(hc.avgPool1d(x, { kernelSize: 3, padding: 1 })).backward();
      hc.sum(hc.globalAvgPool1d(x)).backward();
    }],
    ['globalAvgPool2d', () => {
      const x = T([2, 3, 4, 4], 1, true);
      hc.sum(hc.globalAvgPool2d(x)).backward();
    }],
    ['batchNorm training (running stats updated) and eval', () => {
      const x = T([2, 3, 4, 4], 1, true), rm = hc.zeros([3]), rv = hc.ones([3]), w = T([3], 2, true), b = T([3], 3, true);
      hc.sum(hc.batchNorm(x, rm, rv, w, b, { training: true })).backward();
      hc.sum(hc.batchNorm(x, rm, rv, w, b)).backward();
    }],
    ['batchRenorm training', () => {
      const x = T([2, 3, 4, 4], 1, true), rm = hc.zeros([3]), rv = hc.ones([3]), w = T([3], 2, true), b = T([3], 3, true);
      hc.sum(hc.batchRenorm(x, rm, rv, w, b, { training: true })).backward();
    }],
    ['layerNorm with and without affine', () => {
      const x = T([2, 3, 4], 1, true), w = T([3, 4], 2, true), b = T([3, 4], 3, true);
      hc.sum(hc.layerNorm(x, [3, 4], w, b)).backward();
      hc.sum(hc.layerNorm(x, 4)).backward();
    }],
    ['layerNorm with a weight that does not require grad', () => {
      const x = T([2, 4], 1, true), w = T([4], 2);
      hc.sum(hc.mul(hc.layerNorm(x, 4, w), T([2, 4], 5))).backward();
    }],
    ['groupNorm / instanceNorm', () => {
      const x = T([2, 4, 3, 3], 1, true), w = T([4], 2, true), b = T([4], 3, true);
      hc.sum(hc.mul(hc.groupNorm(x, 2, w, b), T([2, 4, 3, 3], 4))).backward();
      hc.sum(hc.mul(hc.instanceNorm(x), T([2, 4, 3, 3], 4))).backward();
    }],
    ['frn (number eps, learnable eps) + tlu', () => {
      const x = T([2, 3, 3, 3], 1, true), w = T([3], 2, true), b = T([3], 3, true), tau = T([3], 4, true);
      const eps = hc.tensor([1e-3], [1], { requiresGrad: true });
      hc.sum(hc.tlu(hc.frn(x, w, b), tau)).backward();
      hc.sum(hc.tlu(hc.frn(x, w, b, { eps }), tau)).backward();
    }],
    ['relu, linear (rank 1 and 3), flatten, reshape', () => {
      const x = T([2, 3, 4], 1, true), w = T([5, 4], 2, true), b = T([5], 3, true);
      hc.sum(hc.relu(hc.flatten(hc.linear(x, w, b)))).backward();
      hc.sum(hc.linear(T([4], 6, true), w, b)).backward();
    }],
    ['softmax, logSoftmax, crossEntropy', () => {
      const x = T([3, 5], 1, true);
      hc.sum(hc.mul(hc.softmax(x, 0), T([3, 5], 2))).backward();
      hc.sum(hc.mul(hc.logSoftmax(x), T([3, 5], 3))).backward();
      hc.crossEntropy(x, [0, 4, 2]).backward();
    }],
    ['add/sub/mul/div with numbers and broadcasting; sum/mean keepDims; exp/log/sqrt', () => {
      const a = T([2, 3], 1, true), b = T([3], 2, true);
      const y = hc.div(hc.sub(hc.mul(hc.add(a, b), 2), 1), hc.add(hc.exp(b), 1));
      hc.add(hc.mean(y, 1, true), hc.sum(hc.sqrt(hc.log(hc.add(hc.mul(a, a), 2))), -1, true)).backward(hc.ones([2, 1]));
    }],
    ['matMul', () => {
      const a = T([2, 3], 1, true), b = T([3, 4], 2, true);
      hc.sum(hc.matMul(a, b)).backward();
    }],
    ['nn layers: Sequential(Conv2d, BatchNorm2d, ReLU, MaxPool2d, Flatten, Linear) train step', () => {
      const net = new hc.nn.Sequential(new hc.nn.Conv2d(1, 2, 3, { padding: 1 }), new hc.nn.BatchNorm2d(2), new hc.nn.ReLU(),
        new hc.nn.MaxPool2d(2), new hc.nn.Flatten(), new hc.nn.Linear(8, 3));
      const opt = new hc.optim.SGD(net, { lr: 0.1, momentum: 0.9 });
      hc.crossEntropy(net.forward(T([2, 1, 4, 4])), [0, 2]).backward();
      hc.optim.clipGradNorm(net, 1).dispose();
      hc.optim.adaptiveGradClip(net);
      opt.step();
      opt.zeroGrad();
      opt.dispose();
      net.dispose();
    }],
    ['stateDict / loadStateDict', () => {
      const net = new hc.nn.Sequential(new hc.nn.Conv2d(1, 2, 3), new hc.nn.BatchNorm2d(2));
      const sd = net.stateDict();
      net.loadStateDict(sd);
      net.dispose();
    }],
    ['convToMatrix / fuseConvBatchNorm', () => {
      hc.convToMatrix(T([2, 1, 3, 3]), [1, 4, 4], { padding: 1 });
      const conv = new hc.nn.Conv2d(1, 2, 3), bn = new hc.nn.BatchNorm2d(2);
      const fused = hc.fuseConvBatchNorm(conv, bn);
      for (const m of [conv, bn, fused]) m.dispose();
    }],
  ];
  for (const [name, fn] of cases) it(name, () => expectNoLeak(fn));
});

describe('no leak when an op rejects its input', () => {
  it('conv2d / maxPool2d / batchNorm errors leave nothing behind', () => {
    const x = T([1, 1, 3, 3]), w5 = T([1, 1, 5, 5]), w3 = T([2, 1, 3, 3]), b3 = T([3]);
    expectThrowsWithoutLeak(() => hc.conv2d(x, w5), 'conv2d', 'padded input');
    expectThrowsWithoutLeak(() => hc.conv2d(x, w5, null, { mode: 'convolution' }), 'conv2d', 'padded input');
    expectThrowsWithoutLeak(() => hc.maxPool2d(x, { kernelSize: 5 }), 'maxPool2d', 'kernelSize');
    expectThrowsWithoutLeak(() => hc.conv2d(x, w3, b3), 'conv2d', 'b expected shape [2]');
    expectThrowsWithoutLeak(() => hc.batchNorm(x, null, null, null, null, { training: true, eps: NaN }), 'batchNorm', 'eps');
  });
  // Was a bug: conv1d reshapes x and w to 4-d views before conv2dCore validates; a throw leaks both views (and pins x's storage)
  it('conv1d with a kernel longer than the input leaks its reshaped views', () => {
    const x = T([2, 3, 4]), w = T([4, 3, 7]);
    expectThrowsWithoutLeak(() => hc.conv1d(x, w), 'conv1d', 'padded input');
  });
  // Was a bug: same for a bias of the wrong shape in conv1d
  it('conv1d with a misshaped bias leaks its reshaped views', () => {
    const x = T([2, 3, 9]), w = T([4, 3, 3]), b = T([5]);
    expectThrowsWithoutLeak(() => hc.conv1d(x, w, b), 'conv1d', 'b expected shape [4]');
  });
  // Was a bug: pool1d reshapes x to [N, C, 1, L] before pool2dGeometry validates; a throw leaks the view
  it('maxPool1d / avgPool1d with a kernel longer than the input leak the reshaped view', () => {
    const x = T([1, 2, 3]);
    expectThrowsWithoutLeak(() => hc.maxPool1d(x, { kernelSize: 5 }), 'maxPool1d', 'kernelSize');
    expectThrowsWithoutLeak(() => hc.avgPool1d(x, { kernelSize: 2, padding: 2 }), 'avgPool1d', 'padding');
  });
});

// ------------------------------------------------------------------ inputs are not mutated

describe('ops never mutate their inputs (forward and backward)', () => {
  it('conv, pools, norms (eval), frn, tlu, linear, softmax, crossEntropy', () => {
    hc.scope(() => {
      const x = T([2, 4, 5, 5], 1, true), w = T([4, 2, 3, 3], 2, true), b = T([4], 3, true);
      const c = T([4], 4, true), rm = T([4], 5), rv = hc.add(hc.abs(T([4], 6)), 0.5);
      const wl = T([3, 16], 7, true);
      const inputs = [x, w, b, c, rm, rv, wl];
      const before = inputs.map((t) => vals(t));
      const y1 = hc.conv2d(x, w, b, { groups: 2, padding: 1, mode: 'convolution' });
      const y2 = hc.maxPool2d(y1, { kernelSize: 2, padding: 1 });
      const y3 = hc.avgPool2d(y2, { kernelSize: 2, ceilMode: true });
      const y4 = hc.batchNorm(y3, rm, rv, c, b);
      const y5 = hc.tlu(hc.frn(y4, c, b), b);
      const y6 = hc.groupNorm(hc.instanceNorm(hc.layerNorm(y5, [2, 2], null, null), c, b), 2, c, b);
      const logits = hc.logSoftmax(hc.linear(hc.reshape(y6, [2, 16]), wl));
      hc.crossEntropy(logits, [0, 2]).backward();
      inputs.forEach((t, i) => expect(vals(t), `input ${i}`).toEqual(before[i]));
    });
  });
  it('batchNorm in training mutates only runningMean/runningVar', () => {
    hc.scope(() => {
      const x = T([2, 3, 2, 2], 1, true), w = T([3], 2, true), b = T([3], 3, true);
      const before = [x, w, b].map(vals);
      const rm = hc.zeros([3]), rv = hc.ones([3]);
      hc.sum(hc.batchNorm(x, rm, rv, w, b, { training: true })).backward();
      hc.sum(hc.batchRenorm(x, rm, rv, w, b, { training: true })).backward();
      [x, w, b].forEach((t, i) => expect(vals(t)).toEqual(before[i]));
      expect(vals(rm)).not.toEqual([0, 0, 0]);
    });
  });
  it('backward(gradient) does not consume or change the gradient tensor', () => {
    hc.scope(() => {
      const x = T([2, 3], 1, true);
      const g = T([2, 3], 2);
      const before = vals(g);
      hc.relu(x).backward(g);
      expect(g.isDisposed).toBe(false);
      expect(vals(g)).toEqual(before);
    });
  });
});

// ------------------------------------------------------------------ gradients vs float64 finite differences

/** Central differences in float64 of L = Σ f(x)·r with respect to x. */
function fdGrad(f: (x: number[]) => number[], x: number[], r: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const xp = [...x], xm = [...x];
    xp[i]! += h;
    xm[i]! -= h;
    const lp = f(xp).reduce((a, v, j) => a + v * r[j]!, 0);
    const lm = f(xm).reduce((a, v, j) => a + v * r[j]!, 0);
    return (lp - lm) / (2 * h);
  });
}

describe('gradients against float64 finite differences', () => {
  it("conv2d dx, dw, db with 'same' padding, stride 2, dilation and groups", () => {
    const xs = [2, 4, 6, 5], ws = [4, 2, 3, 2];
    const x = seq(prod(xs), 30), w = seq(prod(ws), 31), b = seq(4, 32);
    const o: ConvRef = { stride: [2, 2], dil: [2, 1], groups: 2, pad: [1, 2, 0, 1] }; // H: total 3 → 1/2; W: total 1 → 0/1
    const ref = conv2dRef(x, xs, w, ws, b, o);
    const r = seq(ref.y.length, 33);
    const xt = hc.tensor(x, xs, { requiresGrad: true }), wt = hc.tensor(w, ws, { requiresGrad: true }), bt = hc.tensor(b, [4], { requiresGrad: true });
    const y = hc.conv2d(xt, wt, bt, { stride: 2, dilation: [2, 1], groups: 2, padding: 'same' });
    expect(y.shape).toEqual(ref.shape);
    expectClose(vals(y), ref.y);
    hc.sum(hc.mul(y, hc.tensor(r, ref.shape))).backward();
    expectClose(vals(xt.grad!), fdGrad((v) => conv2dRef(v, xs, w, ws, b, o).y, x, r), 1e-4, 1e-4);
    expectClose(vals(wt.grad!), fdGrad((v) => conv2dRef(x, xs, v, ws, b, o).y, w, r), 1e-4, 1e-4);
    expectClose(vals(bt.grad!), fdGrad((v) => conv2dRef(x, xs, w, ws, v, o).y, b, r), 1e-4, 1e-4);
  });

  it('avgPool2d backward with ceilMode and both countIncludePad settings', () => {
    const xs = [1, 2, 5, 7];
    const x = seq(prod(xs), 34);
    for (const cip of [true, false]) {
      const o: PoolRef = { k: [3, 3], s: [2, 2], p: [1, 1], ceil: true, countIncludePad: cip };
      const ref = poolRef('avg', x, xs, o);
      const r = seq(ref.y.length, 35);
      const xt = hc.tensor(x, xs, { requiresGrad: true });
      hc.sum(hc.mul(hc.avgPool2d(xt, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: cip }), hc.tensor(r, ref.shape))).backward();
      expectClose(vals(xt.grad!), fdGrad((v) => poolRef('avg', v, xs, o).y, x, r), 1e-4, 1e-4);
    }
  });

  it('maxPool2d backward routes to the window maximum (distinct values)', () => {
    const xs = [1, 1, 5, 5];
    const x = seq(prod(xs), 36);
    const o: PoolRef = { k: [3, 3], s: [2, 2], p: [1, 1], ceil: true };
    const ref = poolRef('max', x, xs, o);
    const r = seq(ref.y.length, 37);
    const xt = hc.tensor(x, xs, { requiresGrad: true });
    hc.sum(hc.mul(hc.maxPool2d(xt, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), hc.tensor(r, ref.shape))).backward();
    expectClose(vals(xt.grad!), fdGrad((v) => poolRef('max', v, xs, o).y, x, r, 1e-7), 1e-4, 1e-4);
  });

  it('batchNorm (training) backward w.r.t. x, weight, bias', () => {
    const xs = [3, 2, 2, 2];
    const x = seq(prod(xs), 38), g = [1.3, -0.7], bb = [0.2, 0.1];
    const bnRef = (xv: number[], gv: number[], bv: number[]) => {
      const y = new Array<number>(xv.length);
      for (let c = 0; c < 2; c++) {
        const idx: number[] = [];
        for (let n = 0; n < 3; n++) for (let k = 0; k < 4; k++) idx.push((n * 2 + c) * 4 + k);
        const mu = idx.reduce((a, i) => a + xv[i]!, 0) / idx.length;
        const v = idx.reduce((a, i) => a + (xv[i]! - mu) ** 2, 0) / idx.length;
        for (const i of idx) y[i] = ((xv[i]! - mu) / Math.sqrt(v + 1e-5)) * gv[c]! + bv[c]!;
      }
      return y;
    };
    const r = seq(x.length, 39);
    const xt = hc.tensor(x, xs, { requiresGrad: true }), gt = hc.tensor(g, [2], { requiresGrad: true }), bt = hc.tensor(bb, [2], { requiresGrad: true });
    const y = hc.batchNorm(xt, null, null, gt, bt, { training: true });
    expectClose(vals(y), bnRef(x, g, bb));
    hc.sum(hc.mul(y, hc.tensor(r, xs))).backward();
    expectClose(vals(xt.grad!), fdGrad((v) => bnRef(v, g, bb), x, r), 1e-3, 1e-4);
    expectClose(vals(gt.grad!), fdGrad((v) => bnRef(x, v, bb), g, r), 1e-4, 1e-4);
    expectClose(vals(bt.grad!), fdGrad((v) => bnRef(x, g, v), bb, r), 1e-4, 1e-4);
  });

  it('groupNorm backward w.r.t. x and weight', () => {
    const xs = [2, 4, 2, 2];
    const x = seq(prod(xs), 40), g = [1, 2, -1, 0.5];
    const gnRef = (xv: number[], gv: number[]) => {
      const y = new Array<number>(xv.length);
      for (let n = 0; n < 2; n++)
        for (let grp = 0; grp < 2; grp++) {
          const start = (n * 4 + grp * 2) * 4;
          const sl = xv.slice(start, start + 8);
          const mu = sl.reduce((a, b) => a + b, 0) / 8;
          const v = sl.reduce((a, b) => a + (b - mu) ** 2, 0) / 8;
          sl.forEach((b, k) => (y[start + k] = ((b - mu) / Math.sqrt(v + 1e-5)) * gv[grp * 2 + Math.floor(k / 4)]!));
        }
      return y;
    };
    const r = seq(x.length, 41);
    const xt = hc.tensor(x, xs, { requiresGrad: true }), gt = hc.tensor(g, [4], { requiresGrad: true });
    const y = hc.groupNorm(xt, 2, gt);
    expectClose(vals(y), gnRef(x, g));
    hc.sum(hc.mul(y, hc.tensor(r, xs))).backward();
    expectClose(vals(xt.grad!), fdGrad((v) => gnRef(v, g), x, r), 1e-3, 1e-4);
    expectClose(vals(gt.grad!), fdGrad((v) => gnRef(x, v), g, r), 1e-4, 1e-4);
  });
});

// ------------------------------------------------------------------ bad input: errors name op, argument, expected, got

describe('bad input gives a HypercolumnError naming op, argument, expected and got', () => {
  it('nn layer constructors with bad sizes', () => {
    expectHcError(() => new hc.nn.Conv2d(0, 1, 3), 'Conv2d', 'inChannels', 'positive integer', 'got 0');
    expectHcError(() => new hc.nn.Conv2d(2.5, 1, 3), 'Conv2d', 'inChannels', 'got 2.5');
    expectHcError(() => new hc.nn.Conv2d(1, 1, 0), 'Conv2d', 'kernelSize', 'got 0');
    expectHcError(() => new hc.nn.Conv2d(4, 6, 3, { groups: 4 }), 'Conv2d', 'groups', 'divisor of outChannels (6)', 'got 4');
    expectHcError(() => new hc.nn.Conv1d(3, 4, NaN), 'Conv1d', 'kernelSize', 'got NaN');
    expectHcError(() => new hc.nn.Linear(0, 2), 'Linear', 'inFeatures', 'got 0');
    expectHcError(() => new hc.nn.Linear(2, NaN), 'Linear', 'outFeatures', 'got NaN');
    expectHcError(() => new hc.nn.BatchNorm2d(0), 'BatchNorm2d', 'numFeatures', 'got 0');
    expectHcError(() => new hc.nn.BatchNorm2d(3, { momentum: 2 }), 'BatchNorm2d', 'momentum', 'got 2');
    expectHcError(() => new hc.nn.BatchNorm2d(3, { eps: NaN }), 'BatchNorm2d', 'eps', 'got NaN');
    expectHcError(() => new hc.nn.BatchRenorm2d(3, { rMax: 0.5 }), 'BatchRenorm2d', 'rMax', 'got 0.5');
    expectHcError(() => new hc.nn.GroupNorm(3, 4), 'GroupNorm', 'numGroups', 'divisor of numChannels (4)', 'got 3');
    expectHcError(() => new hc.nn.LayerNorm([2, 0]), 'LayerNorm', 'normalizedShape[1]', 'got 0');
    expectHcError(() => new hc.nn.LayerNorm([]), 'LayerNorm', 'normalizedShape');
    expectHcError(() => new hc.nn.InstanceNorm2d(NaN), 'InstanceNorm2d', 'numFeatures', 'got NaN');
    expectHcError(() => new hc.nn.FilterResponseNorm2d(-1), 'FilterResponseNorm2d', 'numFeatures', 'got -1');
    expectHcError(() => new hc.nn.Residual(new hc.nn.ReLU(), { alpha: NaN }), 'Residual', 'alpha', 'got NaN');
    expectHcError(() => new hc.nn.Sequential(3 as never), 'Sequential', 'expected a Module', 'got 3');
    expectHcError(() => new hc.nn.Conv2d(1, 1, 3, { strides: 2 } as never), 'Conv2d', 'options', 'got "strides"');
  });
  it('layers reject inputs of the wrong channel count or rank', () => {
    expectHcError(() => new hc.nn.BatchNorm2d(3).forward(hc.ones([2, 2, 2, 2])), 'BatchNorm2d', 'x', '3 channels', 'got [2, 2, 2, 2]');
    expectHcError(() => new hc.nn.BatchNorm2d(3).forward(hc.ones([1, 3, 1, 1])), 'BatchNorm2d.forward', 'more than 1 value per channel');
    expectHcError(() => new hc.nn.Linear(3, 2).forward(hc.ones([2, 4])), 'Linear.forward', 'last axis of 3', 'got shape [2, 4]');
    expectHcError(() => new hc.nn.MaxPool2d(0), 'MaxPool2d', 'kernelSize', 'got 0');
    expectHcError(() => new hc.nn.Conv2d(3, 2, 3).forward(hc.ones([1, 2, 5, 5])), 'Conv2d.forward: x expected 3 channels on axis 1, got [1, 2, 5, 5]');
  });
  it('SGD options', () => {
    const p = hc.zeros([1], { requiresGrad: true });
    expectHcError(() => new hc.optim.SGD([p], { lr: -1 }), 'SGD', 'lr', '≥ 0', 'got -1');
    expectHcError(() => new hc.optim.SGD([p], { lr: NaN }), 'SGD', 'lr', 'got NaN');
    expectHcError(() => new hc.optim.SGD([p], { lr: Infinity }), 'SGD', 'lr', 'got Infinity');
    expectHcError(() => new hc.optim.SGD([p], { lr: '0.1' as never }), 'SGD', 'lr', 'got "0.1"');
    expectHcError(() => new hc.optim.SGD([p], {} as never), 'SGD', 'lr', 'got undefined');
    expectHcError(() => new (hc.optim.SGD as never as new (p: unknown) => unknown)([p]), 'SGD', 'options', 'got undefined');
    expectHcError(() => new hc.optim.SGD([p], { lr: 0.1, momentum: NaN }), 'SGD', 'momentum', 'got NaN');
    expectHcError(() => new hc.optim.SGD([p], { lr: 0.1, nesterov: true }), 'SGD', 'nesterov', 'momentum > 0');
    expectHcError(() => new hc.optim.SGD(p as never, { lr: 0.1 }), 'SGD', 'params', 'got Tensor');
    expectHcError(() => new hc.optim.SGD([], { lr: 0.1 }), 'SGD', 'params', 'at least one');
    expectHcError(() => new hc.optim.SGD([p, p], { lr: 0.1 }), 'SGD', 'params[1]', 'each parameter once');
    expectHcError(() => new hc.optim.SGD([hc.mul(p, 2)], { lr: 0.1 }), 'SGD', 'params[0]', 'leaf');
    const opt = new hc.optim.SGD([p], { lr: 0.1 });
    expectHcError(() => (opt.lr = NaN), 'SGD', 'lr', 'got NaN');
    expect(opt.lr).toBe(0.1);
  });
  it('loadStateDict mismatches leave the module unchanged; values on another backend are moved', () => {
    hc.registerBackend('review-cpu2', () => createCpuBackend({ name: 'review-cpu2' }), -1);
    const lin = new hc.nn.Linear(2, 2);
    const before = [vals(lin.weight), vals(lin.bias!)];
    expectHcError(() => lin.loadStateDict({ weight: hc.zeros([2, 3]) }, { strict: false }), 'Linear.loadStateDict', 'dict["weight"]', 'expected shape [2, 2]', 'got [2, 3]');
    expectHcError(() => lin.loadStateDict({ weight: hc.zeros([2, 2]), bias: 3 as never }), 'dict["bias"]', 'a Tensor', 'got 3');
    expectHcError(() => lin.loadStateDict({ weight: hc.zeros([2, 2]) }), 'dict expected exactly the keys', 'missing "bias"');
    expectHcError(() => lin.loadStateDict({ weight: hc.zeros([2, 2]), bias: hc.zeros([2]), extra: hc.zeros([1]) }), 'unexpected "extra"');
    expectHcError(() => lin.loadStateDict(null as never), 'dict', 'got null');
    expect([vals(lin.weight), vals(lin.bias!)]).toEqual(before);
    const w = hc.tensor([1, 2, 3, 4], [2, 2], { backend: 'review-cpu2' }), b = hc.tensor([5, 6], [2], { backend: 'review-cpu2' });
    const weightObject = lin.weight;
    lin.loadStateDict({ weight: w, bias: b });
    expect(lin.weight).toBe(weightObject);
    expect(lin.weight.backend).toBe('cpu');
    expect(lin.weight.requiresGrad).toBe(true);
    expect(vals(lin.weight)).toEqual([1, 2, 3, 4]);
    expect(vals(w)).toEqual([1, 2, 3, 4]); // the dict is not consumed
    hc.removeBackend('review-cpu2');
  });
  it('crossEntropy labels', () => {
    const logits = hc.zeros([2, 3]);
    expectHcError(() => hc.crossEntropy(logits, [0, -1]), 'crossEntropy', 'labels[1]', 'in [0, 2]', 'got -1');
    expectHcError(() => hc.crossEntropy(logits, [0, NaN]), 'labels[1]', 'got NaN');
    expectHcError(() => hc.crossEntropy(logits, ['0', 1] as never), 'labels[0]', 'got "0"');
    expectHcError(() => hc.crossEntropy(logits, new Float32Array([0, 1]) as never), 'crossEntropy', 'labels', 'a Tensor, an Int32Array', 'got Float32Array(2)');
    expectHcError(() => hc.crossEntropy(logits, hc.tensor([0, 1, 2])), 'crossEntropy', 'labels expected shape [2]', 'got [3]');
    expectHcError(() => hc.crossEntropy(logits, hc.zeros([2, 1])), 'crossEntropy', 'labels expected rank 1');
    expectHcError(() => hc.crossEntropy(logits, Int32Array.from([0, 1, 2])), 'labels expected 2 class indices', 'got 3');
    expectHcError(() => hc.crossEntropy(hc.zeros([2, 3, 1]), [0, 1]), 'crossEntropy', 'logits', 'rank 2');
  });
  it('tensor.to with an unknown backend; setBackend with an unknown name', async () => {
    const x = hc.zeros([2]);
    expectHcError(() => x.to('nope'), 'to', 'backend', 'got "nope"', 'not registered');
    expectHcError(() => x.to(undefined as never), 'to', 'backend', 'got undefined');
    await expect(hc.setBackend('nope')).rejects.toThrow(/setBackend: backend expected one of .*got "nope"/);
  });
  it('NaN / non-integer options across ops', () => {
    const x4 = hc.zeros([1, 2, 4, 4]);
    expectHcError(() => hc.avgPool2d(x4, { kernelSize: 2, stride: NaN }), 'avgPool2d', 'stride', 'got NaN');
    expectHcError(() => hc.maxPool2d(x4, { kernelSize: 2, dilation: NaN }), 'maxPool2d', 'dilation', 'got NaN');
    expectHcError(() => hc.maxPool2d(x4, { kernelSize: 2, ceilMode: 'yes' as never }), 'ceilMode', 'got "yes"');
    expectHcError(() => hc.batchNorm(x4, hc.zeros([2]), hc.ones([2]), null, null, { momentum: NaN }), 'batchNorm', 'momentum', 'got NaN');
    expectHcError(() => hc.batchRenorm(x4, hc.zeros([2]), hc.ones([2]), null, null, { dMax: NaN }), 'batchRenorm', 'dMax', 'got NaN');
    expectHcError(() => hc.layerNorm(x4, 4, null, null, { eps: NaN }), 'layerNorm', 'eps', 'got NaN');
    expectHcError(() => hc.groupNorm(x4, 1, null, null, { eps: Infinity }), 'groupNorm', 'eps', 'got Infinity');
    expectHcError(() => hc.instanceNorm(x4, null, null, { eps: NaN }), 'instanceNorm', 'eps', 'got NaN');
    expectHcError(() => hc.frn(x4, null, null, { eps: NaN }), 'frn', 'eps', 'got NaN');
    expectHcError(() => hc.groupNorm(x4, NaN), 'groupNorm', 'numGroups', 'got NaN');
    expectHcError(() => hc.softmax(x4, NaN), 'softmax', 'dim', 'got NaN');
    expectHcError(() => hc.sum(x4, 1.5), 'sum', 'axis', 'got 1.5');
    expectHcError(() => hc.flatten(x4, NaN), 'flatten', 'startDim', 'got NaN');
    expectHcError(() => hc.reshape(x4, [NaN, 32]), 'reshape', 'shape');
    expectHcError(() => hc.optim.clipGradNorm([hc.zeros([1], { requiresGrad: true })], NaN), 'clipGradNorm', 'maxNorm', 'got NaN');
    expectHcError(() => hc.optim.adaptiveGradClip([hc.zeros([1], { requiresGrad: true })], { eps: NaN }), 'adaptiveGradClip', 'eps', 'got NaN');
    expectHcError(() => hc.randn([2], { std: NaN }), 'randn', 'std', 'got NaN');
    expectHcError(() => hc.full([2, NaN], 0), 'full', 'shape[1]', 'got NaN');
  });
  it('kernel larger than the input for 1-d pools and conv1d', () => {
    const x = hc.zeros([1, 1, 4]);
    expectHcError(() => hc.maxPool1d(x, { kernelSize: 7 }), 'maxPool1d', 'kernelSize');
    expectHcError(() => hc.avgPool1d(x, { kernelSize: 5 }), 'avgPool1d', 'kernelSize');
    expectHcError(() => hc.conv1d(x, hc.zeros([1, 1, 7])), 'conv1d', 'w');
    expectHcError(() => hc.conv1d(x, hc.zeros([1, 1, 3]), null, { dilation: 2 }), 'conv1d', 'w');
  });
  // DEPARTURE: 1-d ops report sizes in their internal 2-d form ("(0, 1), got [0, 2]", "1×4 … got 1×7, output 1×-2")
  it('1-d ops report 1-d sizes in their messages', () => {
    const x = hc.zeros([1, 1, 4]);
    expectHcError(() => hc.maxPool1d(x, { kernelSize: 2, padding: 2 }), 'maxPool1d', 'padding', 'at most half the kernel size (1)', 'got 2');
    expectHcError(() => hc.conv1d(x, hc.zeros([1, 1, 7])), 'conv1d', 'padded input size 4', 'got 7');
  });
  // Was a bug: a non-tensor gradient crashes backward() with "TypeError: gradient.assertUsable is not a function"
  it('backward(gradient) with a non-tensor gradient', () => {
    const y = hc.mul(hc.ones([2], { requiresGrad: true }), 2);
    expectHcError(() => y.backward([1, 1] as never), 'backward', 'gradient', 'a Tensor');
  });
  // nested arrays take their shape from the nesting (torch.tensor style); ragged nesting and non-numbers are errors
  it('hc.tensor accepts nested arrays, rejects ragged ones and non-numbers', () => {
    const t = hc.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    t.dispose();
    expectHcError(() => hc.tensor([[1, 2], [3]] as never), 'tensor', 'values[1]', 'rectangular');
    expectHcError(() => hc.tensor(['a', 'b'] as never), 'tensor', 'values[0]', 'a number', '"a"');
    expectHcError(() => hc.tensor([1, 2], [2], { requiresgrad: true } as never), 'tensor', 'options', '"requiresgrad"');
  });
  // Was a bug: convToMatrix does not validate inputShape entries: 4.5 builds a garbage matrix, NaN/−4 blame "w"
  it('convToMatrix validates inputShape', () => {
    const w = hc.ones([1, 1, 3, 3]);
    expectHcError(() => hc.convToMatrix(w, [1, 4.5, 4]), 'convToMatrix', 'inputShape');
    expectHcError(() => hc.convToMatrix(w, [1, -4, 4]), 'convToMatrix', 'inputShape');
  });
  // DEPARTURE (docs/decisions.md: "options objects reject unknown keys"): these typos are silently ignored
  it('tensor/randn/convToMatrix options reject unknown keys and non-boolean requiresGrad', () => {
    expectHcError(() => hc.tensor([1], [1], { requiresgrad: true } as never), 'tensor', 'options', 'requiresgrad');
    expectHcError(() => hc.tensor([1], [1], { requiresGrad: 'no' } as never), 'tensor', 'requiresGrad', 'a boolean');
    expectHcError(() => hc.randn([2], { sed: 1 } as never), 'randn', 'options', 'sed');
    expectHcError(() => hc.convToMatrix(hc.ones([1, 1, 3, 3]), [1, 4, 4], { strides: 2 } as never), 'convToMatrix', 'options', 'strides');
  });
  // DEPARTURE from PyTorch: nn.Conv2d validates its padding string in __init__; here the bad layer builds and fails at forward
  it('Conv2d rejects an invalid padding at construction', () => {
    expectHcError(() => new hc.nn.Conv2d(1, 1, 3, { padding: 'bogus' as never }), 'Conv2d', 'padding', 'got "bogus"');
  });
  // DEPARTURE from PyTorch: instance_norm with one spatial element raises ("Expected more than 1 spatial element"); here it returns all zeros
  it('instanceNorm on a 1×1 map is an error, not silent zeros', () => {
    expectHcError(() => hc.instanceNorm(hc.tensor([1, 2, 3, 4], [2, 2, 1, 1])), 'instanceNorm', 'x');
  });
});

// ------------------------------------------------------------------ tensor API vs PyTorch expectations

describe('tensor.to and autograd', () => {
  // DEPARTURE from PyTorch: tensor.to() is not differentiable (even to the same backend), so
  // `x.to(b)` of a parameter gives requiresGrad false and loss.backward() then throws
  it('x.to(backend) keeps the graph: gradients flow back to x', () => {
    hc.registerBackend('review-cpu3', () => createCpuBackend({ name: 'review-cpu3' }), -1);
    try {
      const x = hc.tensor([1, 2, 3], [3], { requiresGrad: true });
      const same = x.to('cpu');
      expect(same.requiresGrad).toBe(true);
      const moved = x.to('review-cpu3');
      expect(moved.requiresGrad).toBe(true);
      hc.sum(hc.mul(moved, moved)).backward();
      expect(vals(x.grad!)).toEqual([2, 4, 6]);
    } finally {
      hc.removeBackend('review-cpu3');
    }
  });
  it('to() copies: the moved tensor is independent of the source', () => {
    hc.registerBackend('review-cpu4', () => createCpuBackend({ name: 'review-cpu4' }), -1);
    const x = hc.tensor([1, 2, 3], [3]);
    const y = x.to('review-cpu4');
    expect(y.backend).toBe('review-cpu4');
    x.dispose();
    expect(vals(y)).toEqual([1, 2, 3]);
    expectHcError(() => hc.add(y, hc.ones([3])), 'add', 'b', 'backend "review-cpu4"');
    hc.removeBackend('review-cpu4');
  });
  it('backward on a freed graph and on a non-scalar without gradient are errors', () => {
    const x = hc.ones([2], { requiresGrad: true });
    const y = hc.sum(hc.mul(x, 2));
    y.backward();
    expectHcError(() => y.backward(), 'backward', 'graph');
    expectHcError(() => hc.mul(x, 2).backward(), 'backward', 'gradient', 'non-scalar');
  });
});
