// The PyTorch gaps of issue 9, each against an independent float64 reference (written here from the
// definitions) and, for gradients, central finite differences of that reference.
import '@hypercolumn/backend-cpu';
import * as hc from '@hypercolumn/core';
import { nn, optim } from '@hypercolumn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectHcError, vals } from './helpers.js';

beforeAll(async () => {
  await hc.setBackend('cpu');
});

const data = (n: number, seed: number) => Array.from(hc.randn([n], { seed }).dataSync());
/** ∂/∂x_i Σ r·f(x) by central differences of a float64 function. */
function fd(f: (x: number[]) => number[], x: number[], r: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const plus = [...x];
    const minus = [...x];
    plus[i]! += h;
    minus[i]! -= h;
    const dot = (y: number[]) => y.reduce((s, v, k) => s + v * r[k]!, 0);
    return (dot(f(plus)) - dot(f(minus))) / (2 * h);
  });
}
/** y = op(x) and x.grad of Σ r·y. */
function forwardBackward(op: (x: hc.Tensor) => hc.Tensor, x0: number[], shape: number[], r: number[]) {
  const x = hc.tensor(x0, shape, { requiresGrad: true });
  const y = op(x);
  hc.sum(hc.mul(y, hc.tensor(r, [...y.shape]))).backward();
  return { y: vals(y), shape: [...y.shape], grad: vals(x.grad!) };
}

describe('sigmoid, tanh', () => {
  const x = [...data(12, 1).map((v) => 3 * v), 20, -20, 0];
  const r = data(15, 2);
  for (const [name, op, f] of [
    ['sigmoid', hc.sigmoid, (v: number) => 1 / (1 + Math.exp(-v))],
    ['tanh', hc.tanh, Math.tanh],
  ] as const) {
    it(`${name}: forward vs float64, gradient vs finite differences; layer = functional`, () => {
      const got = forwardBackward(op, x, [3, 5], r);
      expectClose(got.y, x.map(f), 1e-6, 1e-7);
      expectClose(got.grad, fd((v) => v.map(f), x, r), 1e-4, 1e-6);
      const layer = name === 'sigmoid' ? new nn.Sigmoid() : new nn.Tanh();
      expect(vals(layer.forward(hc.tensor(x, [3, 5])))).toEqual(got.y);
    });
  }
});

describe('permute, transpose, concat, argmax', () => {
  it('permute: y[i, j, k] = x[perm…], gradient is the inverse permutation of r', () => {
    const x0 = data(24, 3);
    const r = data(24, 4);
    const got = forwardBackward((x) => hc.permute(x, [2, 0, 1]), x0, [2, 3, 4], r);
    expect(got.shape).toEqual([4, 2, 3]);
    const ref: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) ref.push(x0[(i * 3 + j) * 4 + k]!);
    expect(got.y).toEqual(ref.map(Math.fround));
    const grad = new Array<number>(24);
    let n = 0;
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) grad[(i * 3 + j) * 4 + k] = r[n++]!;
    expect(got.grad).toEqual(grad.map(Math.fround));
    expect(hc.transpose(hc.tensor([1, 2, 3, 4, 5, 6], [2, 3])).shape).toEqual([3, 2]);
    expect(vals(hc.transpose(hc.tensor([1, 2, 3, 4, 5, 6], [2, 3])))).toEqual([1, 4, 2, 5, 3, 6]);
    expectHcError(() => hc.permute(hc.ones([2, 3]), [0, 0]), 'permute: dims expected each axis once');
  });

  it('concat along an inner axis, three inputs; gradients split back', () => {
    const a0 = data(6, 5), b0 = data(4, 6), c0 = data(2, 7);
    const a = hc.tensor(a0, [2, 3], { requiresGrad: true });
    const b = hc.tensor(b0, [2, 2], { requiresGrad: true });
    const c = hc.tensor(c0, [2, 1], { requiresGrad: true });
    const y = hc.concat([a, b, c], 1);
    expect(y.shape).toEqual([2, 6]);
    const ref = [0, 1].flatMap((i) => [...a0.slice(3 * i, 3 * i + 3), ...b0.slice(2 * i, 2 * i + 2), c0[i]!]);
    expect(vals(y)).toEqual(ref.map(Math.fround));
    const r = data(12, 8);
    hc.sum(hc.mul(y, hc.tensor(r, [2, 6]))).backward();
    expect(vals(a.grad!)).toEqual([0, 1].flatMap((i) => r.slice(6 * i, 6 * i + 3)).map(Math.fround));
    expect(vals(b.grad!)).toEqual([0, 1].flatMap((i) => r.slice(6 * i + 3, 6 * i + 5)).map(Math.fround));
    expect(vals(c.grad!)).toEqual([r[5]!, r[11]!].map(Math.fround));
    expectHcError(() => hc.concat([a, hc.ones([3, 3])], 1), 'concat: tensors[1] expected shape [2, -1]');
  });

  it('argmax along an axis and overall; first index on ties', () => {
    const x = hc.tensor([1, 5, 5, 0, -1, 2, 9, 2, 3, 3, 3, 3], [3, 4]);
    expect(vals(hc.argmax(x, 1))).toEqual([1, 2, 0]);
    expect(vals(hc.argmax(x, 0))).toEqual([2, 0, 1, 2]);
    expect(hc.argmax(x, 0, true).shape).toEqual([1, 4]);
    expect(hc.argmax(x).item()).toBe(6);
  });
});

describe('dropout', () => {
  it('identity in eval and with p = 0; seeded masks are reproducible, scale 1/(1−p), gradient = mask', () => {
    const x0 = data(4000, 9);
    const x = hc.tensor(x0, [40, 100]);
    expect(vals(hc.dropout(x, { training: false }))).toEqual(vals(x));
    expect(vals(hc.dropout(x, { p: 0 }))).toEqual(vals(x));
    const a = vals(hc.dropout(x, { p: 0.3, seed: 5 }));
    expect(vals(hc.dropout(x, { p: 0.3, seed: 5 }))).toEqual(a);
    const zeroed = a.filter((v) => v === 0).length / a.length;
    expect(Math.abs(zeroed - 0.3)).toBeLessThan(0.03); // 4000 Bernoulli(0.3): σ ≈ 0.007
    a.forEach((v, i) => {
      if (v !== 0) expect(v).toBeCloseTo(x0[i]! / 0.7, 5);
    });
    const xg = hc.tensor(x0.slice(0, 50), [50], { requiresGrad: true });
    const y = hc.dropout(xg, { p: 0.5, seed: 2 });
    hc.sum(y).backward();
    vals(y).forEach((v, i) => expect(vals(xg.grad!)[i]).toBe(v === 0 ? 0 : 2));
    const layer = new nn.Dropout(0.5, { seed: 1 });
    const first = vals(layer.forward(x));
    expect(vals(layer.forward(x))).not.toEqual(first); // a new mask each call
    expect(vals(new nn.Dropout(0.5, { seed: 1 }).forward(x))).toEqual(first); // same seed, same masks
    expect(vals(layer.eval().forward(x))).toEqual(vals(x));
    expectHcError(() => new nn.Dropout(1), 'Dropout: p expected a probability in [0, 1), got 1');
  });
});

describe('BatchNorm1d, MaxPool1d/AvgPool1d layers', () => {
  it('BatchNorm1d on [N, C] and [N, C, L] normalizes per channel (biased var), updates running stats (unbiased)', () => {
    for (const shape of [[6, 3], [4, 3, 5]]) {
      const x0 = data(shape.reduce((p, s) => p * s, 1), 11);
      const bn = new nn.BatchNorm1d(3);
      const y = vals(bn.forward(hc.tensor(x0, shape)));
      const L = shape[2] ?? 1;
      for (let c = 0; c < 3; c++) {
        const idx: number[] = [];
        for (let n = 0; n < shape[0]!; n++) for (let l = 0; l < L; l++) idx.push((n * 3 + c) * L + l);
        const mean = idx.reduce((s, i) => s + x0[i]!, 0) / idx.length;
        const variance = idx.reduce((s, i) => s + (x0[i]! - mean) ** 2, 0) / idx.length;
        expectClose(idx.map((i) => y[i]!), idx.map((i) => (x0[i]! - mean) / Math.sqrt(variance + 1e-5)), 1e-4, 1e-5);
        expectClose([vals(bn.runningMean!)[c]!, vals(bn.runningVar!)[c]!], [0.1 * mean, 0.9 + (0.1 * variance * idx.length) / (idx.length - 1)]);
      }
    }
    expectHcError(() => new nn.BatchNorm1d(3).forward(hc.ones([2, 3, 2, 2])), 'BatchNorm1d.forward: x expected rank 2 or 3');
  });

  it('MaxPool1d / AvgPool1d layers equal the functional ops', () => {
    const x = hc.tensor(data(30, 12), [2, 3, 5]);
    expect(vals(new nn.MaxPool1d({ kernelSize: 2, padding: 'same' }).forward(x))).toEqual(vals(hc.maxPool1d(x, { kernelSize: 2, padding: 'same' })));
    expect(vals(new nn.AvgPool1d(3).forward(x))).toEqual(vals(hc.avgPool1d(x, { kernelSize: 3 })));
  });
});

/** PyTorch Adam/AdamW in float64, from torch.optim's documented algorithm. */
function adamReference(p0: number[], grads: number[][], o: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean }): number[] {
  let p = [...p0];
  let m = p.map(() => 0);
  let v = p.map(() => 0);
  grads.forEach((g0, t0) => {
    const t = t0 + 1;
    if (o.decoupled) p = p.map((x) => x * (1 - o.lr * o.wd));
    const g = g0.map((gi, i) => (o.decoupled ? gi : gi + o.wd * p[i]!));
    m = m.map((mi, i) => o.b1 * mi + (1 - o.b1) * g[i]!);
    v = v.map((vi, i) => o.b2 * vi + (1 - o.b2) * g[i]! ** 2);
    const bc1 = 1 - o.b1 ** t;
    const bc2 = 1 - o.b2 ** t;
    p = p.map((x, i) => x - (o.lr / bc1) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + o.eps)));
  });
  return p;
}

describe('Adam / AdamW', () => {
  for (const decoupled of [false, true]) {
    it(`${decoupled ? 'AdamW' : 'Adam'} matches a float64 re-implementation over 4 steps (weight decay on)`, () => {
      const p0 = data(6, 20);
      const grads = [21, 22, 23, 24].map((s) => data(6, s));
      const p = hc.tensor(p0, [2, 3], { requiresGrad: true });
      const opts = { lr: 0.01, betas: [0.8, 0.99] as [number, number], eps: 1e-6, weightDecay: 0.1 };
      const opt = decoupled ? new optim.AdamW([p], opts) : new optim.Adam([p], opts);
      for (const g of grads) {
        p.grad = hc.tensor(g, [2, 3]);
        opt.step();
        opt.zeroGrad();
      }
      expectClose(vals(p), adamReference(p0, grads, { lr: 0.01, b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0.1, decoupled }), 1e-5, 1e-7);
      opt.dispose();
    });
  }

  it('stateDict/loadStateDict: a resumed optimizer continues exactly; bad dicts are rejected', () => {
    const p0 = data(4, 30);
    const grads = [31, 32, 33, 34].map((s) => data(4, s));
    const run = (resume: boolean) => {
      const p = hc.tensor(p0, [4], { requiresGrad: true });
      let opt = new optim.Adam([p], { lr: 0.05 });
      grads.forEach((g, i) => {
        if (resume && i === 2) {
          const state = opt.stateDict();
          opt.dispose();
          opt = new optim.Adam([p], { lr: 0.05 });
          opt.loadStateDict(state);
          Object.values(state.moments).forEach((s) => (s.m.dispose(), s.v.dispose()));
        }
        p.grad = hc.tensor(g, [4]);
        opt.step();
        opt.zeroGrad();
      });
      opt.dispose();
      return vals(p);
    };
    expect(run(true)).toEqual(run(false));
    const q = hc.ones([3], { requiresGrad: true });
    expectHcError(() => new optim.Adam([q]).loadStateDict({ lr: 0.1, step: 1, moments: { 0: { m: hc.ones([2]), v: hc.ones([3]), step: 1 } } }), 'Adam.loadStateDict: dict.moments[0].m expected shape [3], got [2]');
    expectHcError(() => new optim.Adam([q], { betas: [0.9, 1] }), 'Adam: betas[1] expected a number in [0, 1)');
  });

  it('SGD stateDict: resumed momentum continues exactly', () => {
    const p0 = data(3, 40);
    const grads = [41, 42, 43].map((s) => data(3, s));
    const run = (resume: boolean) => {
      const p = hc.tensor(p0, [3], { requiresGrad: true });
      let opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
      grads.forEach((g, i) => {
        if (resume && i === 2) {
          const state = opt.stateDict();
          opt.dispose();
          opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9 });
          opt.loadStateDict(state);
          Object.values(state.momentumBuffers).forEach((b) => b.dispose());
        }
        p.grad = hc.tensor(g, [3]);
        opt.step();
        opt.zeroGrad();
      });
      opt.dispose();
      return vals(p);
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe('learning-rate schedulers', () => {
  it('StepLR and CosineAnnealingLR follow PyTorch’s closed forms', () => {
    const p = hc.ones([1], { requiresGrad: true });
    const a = new optim.SGD([p], { lr: 0.1 });
    const step = new optim.StepLR(a, { stepSize: 2, gamma: 0.5 });
    expect([1, 2, 3, 4, 5].map(() => step.step())).toEqual([0.1, 0.05, 0.05, 0.025, 0.025]);
    const b = new optim.Adam([p], { lr: 1 });
    const cos = new optim.CosineAnnealingLR(b, { tMax: 4, etaMin: 0.2 });
    expectClose([1, 2, 3, 4].map(() => cos.step()), [1, 2, 3, 4].map((t) => 0.2 + 0.8 * (1 + Math.cos((Math.PI * t) / 4)) / 2), 1e-12, 0);
    expectHcError(() => new optim.StepLR(a, { stepSize: 0 }), 'StepLR: stepSize expected a positive integer, got 0');
  });
});

describe('summary', () => {
  it('lists every layer with its own parameter count and output shape; modes restored', () => {
    const model = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(64, 10));
    const s = model.summary([2, 1, 8, 8]);
    expect(s.rows.map((r) => [r.name, r.type, r.parameters, r.outputShape])).toEqual([
      ['', 'Sequential', 0, [2, 10]],
      ['0', 'Conv2d', 40, [2, 4, 8, 8]],
      ['1', 'BatchNorm2d', 8, [2, 4, 8, 8]],
      ['2', 'ReLU', 0, [2, 4, 8, 8]],
      ['3', 'MaxPool2d', 0, [2, 4, 4, 4]],
      ['4', 'Flatten', 0, [2, 64]],
      ['5', 'Linear', 650, [2, 10]],
    ]);
    expect(s.total).toBe(698);
    expect(s.text).toMatch(/total parameters: 698/);
    expect(model.training).toBe(true);
    expect(vals((model.at(1) as nn.BatchNorm2d).runningMean!)).toEqual([0, 0, 0, 0]); // the pass ran in eval
  });
});
