import '@hypercolumn/backend-cpu';
import * as hc from '@hypercolumn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose, vals } from './helpers.js';
import type { Tensor } from '../src/index.js';

beforeAll(async () => {
  await hc.setBackend('cpu');
});

/** Central finite difference of a float64 function at x. */
function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const save = x[i]!;
    x[i] = save + h;
    const up = f(x);
    x[i] = save - h;
    const down = f(x);
    x[i] = save;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}


describe('autograd', () => {
  it('broadcasting arithmetic matches finite differences', () => {
    const av = [0.5, -1.2, 2.0, 0.3, 1.1, -0.7];
    const bv = [1.5, 0.8, -2.2];
    const a = hc.tensor(av, [2, 3], { requiresGrad: true });
    const b = hc.tensor(bv, [3], { requiresGrad: true });
    // loss = sum((a·b − a) / (b·b + 1) + exp(a)·sqrt(b·b))
    const f64 = (A: Float64Array, B: Float64Array) => {
      let s = 0;
      for (let i = 0; i < 6; i++) {
        const x = A[i]!;
        const y = B[i % 3]!;
        s += (x * y - x) / (y * y + 1) + Math.exp(x) * Math.sqrt(y * y);
      }
      return s;
    };
    const loss = hc.scope(() => {
      const bb = hc.mul(b, b);
      const l = hc.sum(hc.add(hc.div(hc.sub(hc.mul(a, b), a), hc.add(bb, 1)), hc.mul(hc.exp(a), hc.sqrt(bb))));
      return l;
    });
    loss.backward();
    const A = Float64Array.from(av);
    const B = Float64Array.from(bv);
    expectClose(a.grad!.dataSync(), numericGrad((x) => f64(x, B), A), 1e-4, 1e-4);
    expectClose(b.grad!.dataSync(), numericGrad((y) => f64(A, y), B), 1e-4, 1e-4);
    expect(loss.item()).toBeCloseTo(f64(A, B), 4);
    for (const t of [a, b, loss]) t.dispose();
  });

  it('accumulates into .grad across backward calls and flows through reshape/mean', () => {
    const x = hc.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    for (let i = 0; i < 2; i++) hc.scope(() => hc.mean(hc.mul(hc.reshape(x, [4]), hc.reshape(x, [4]))).backward());
    // d/dx mean(x²) = 2x/4, twice
    expect(Array.from(x.grad!.dataSync())).toEqual([1, 2, 3, 4]);
    x.dispose();
  });

  it('backward(gradient) for non-scalars; errors for bad calls', () => {
    const x = hc.tensor([1, -2, 3], [3], { requiresGrad: true });
    const y = hc.relu(x);
    expect(() => y.backward()).toThrow(/gradient expected for a non-scalar tensor of shape \[3\]/);
    expect(() => y.backward(hc.ones([2]))).toThrow(/gradient expected shape \[3\], got \[2\]/);
    const seed = hc.tensor([10, 20, 30], [3]);
    y.backward(seed);
    expect(Array.from(x.grad!.dataSync())).toEqual([10, 0, 30]);
    expect(Array.from(seed.dataSync())).toEqual([10, 20, 30]); // the caller's gradient is untouched
    expect(() => y.backward(seed)).toThrow(/already freed/);
    const plain = hc.ones([2]);
    expect(() => hc.sum(plain).backward()).toThrow(hc.HypercolumnError);
    expect(() => hc.sum(plain).backward()).toThrow(/does not require grad/);
    for (const t of [x, y, seed, plain]) t.dispose();
  });

  it('noGrad records nothing; the graph is freed after backward (no memory growth)', () => {
    const w = hc.tensor([0.5, -0.5, 0.25, 1], [2, 2], { requiresGrad: true });
    const inside = hc.noGrad(() => hc.matMul(w, w));
    expect(inside.requiresGrad).toBe(false);
    inside.dispose();
    const step = () =>
      hc.scope(() => {
        const x = hc.tensor([1, 2, 3, 4], [2, 2]);
        hc.sum(hc.relu(hc.matMul(x, w))).backward();
      });
    step();
    const after1 = hc.memory();
    for (let i = 0; i < 20; i++) step();
    expect(hc.memory()).toEqual(after1);
    w.dispose();
  });

  it('saved tensors survive the user disposing the inputs', () => {
    const x = hc.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const w = hc.tensor([1, 0, 0, 2], [2, 2]);
    const y = hc.sum(hc.matMul(x, w));
    w.dispose();
    y.backward();
    // d/dx sum(x·w) = 1·wᵀ row sums: [1, 2] per row
    expect(Array.from(x.grad!.dataSync())).toEqual([1, 2, 1, 2]);
    x.dispose();
    y.dispose();
  });

  it('an un-differentiated graph is released when its outputs are disposed', () => {
    const w = hc.tensor([1, 2], [2], { requiresGrad: true });
    const before = hc.memory();
    hc.scope(() => {
      hc.mul(hc.exp(w), w);
    });
    expect(hc.memory()).toEqual(before);
    w.dispose();
  });
});

describe('number operands (scalars as kernel attributes)', () => {
  const x0 = [0.5, -1.25, 2, 3.5];
  const cases: [string, (x: Tensor) => Tensor, (v: number) => number, (v: number) => number][] = [
    ['x + 3', (x) => hc.add(x, 3), (v) => v + 3, () => 1],
    ['3 + x', (x) => hc.add(3, x), (v) => v + 3, () => 1],
    ['x − 3', (x) => hc.sub(x, 3), (v) => v - 3, () => 1],
    ['3 − x', (x) => hc.sub(3, x), (v) => 3 - v, () => -1],
    ['x · −2', (x) => hc.mul(x, -2), (v) => -2 * v, () => -2],
    ['x / 4', (x) => hc.div(x, 4), (v) => v / 4, () => 0.25],
    ['6 / x', (x) => hc.div(6, x), (v) => 6 / v, (v) => -6 / (v * v)],
    ['maximum(x, 1)', (x) => hc.maximum(x, 1), (v) => Math.max(v, 1), () => NaN],
    ['minimum(1, x)', (x) => hc.minimum(1, x), (v) => Math.min(v, 1), () => NaN],
  ];
  for (const [name, f, value, derivative] of cases) {
    it(`${name}: one kernel launch, no upload, exact values and gradient`, () => {
      const x = hc.tensor(x0, [4], { requiresGrad: true });
      hc.resetLaunchCounts();
      const y = f(x);
      const counts = hc.launchCounts().cpu!;
      expect(counts.writes).toBe(0);
      expect(counts.launches).toBeLessThanOrEqual(name === '3 − x' ? 2 : 1);
      expectClose(vals(y), x0.map((v) => Math.fround(value(Math.fround(v)))), 1e-6, 0);
      if (!Number.isNaN(derivative(1))) {
        hc.sum(y).backward();
        expectClose(vals(x.grad!), x0.map(derivative), 1e-6, 1e-7);
      }
      for (const t of [x, y]) t.dispose();
    });
  }
});
