import { beforeAll, describe, expect, it } from 'vitest';
import '@hypercolumn/backend-cpu';
import * as hc from '../src/index.js';
import { expectClose, expectHcError, vals } from './helpers.js';
import { Tensor, nn, optim } from '../src/index.js';


beforeAll(async () => {
  await hc.setBackend('cpu');
});




const setGrad = (p: Tensor, g: number[] | null) => {
  p.grad?.dispose();
  p.grad = g ? hc.tensor(g, [...p.shape]) : null;
};

/** Deterministic pseudo-random numbers for the float64 references. */
function numbers(n: number, seed: number, scale = 1): number[] {
  const t = hc.randn([n], { seed });
  const out = Array.from(t.dataSync(), (v) => v * scale);
  t.dispose();
  return out;
}

describe('SGD', () => {
  /** PyTorch's torch.optim.SGD rule in float64. */
  function referenceSgd(p0: number[], grads: (number[] | null)[], o: { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean }): number[] {
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = o;
    let p = [...p0];
    let buf: number[] | null = null;
    for (const g0 of grads) {
      if (!g0) continue;
      let d = g0.map((g, i) => g + weightDecay * p[i]!);
      if (momentum !== 0) {
        buf = buf === null ? [...d] : buf.map((b, i) => momentum * b + (1 - dampening) * d[i]!);
        d = nesterov ? d.map((v, i) => v + momentum * buf![i]!) : [...buf];
      }
      p = p.map((v, i) => v - lr * d[i]!);
    }
    return p;
  }

  const configs = [
    { lr: 0.1 },
    { lr: 0.05, momentum: 0.9 },
    { lr: 0.05, momentum: 0.9, dampening: 0.3 },
    { lr: 0.02, momentum: 0.8, nesterov: true },
    { lr: 0.1, weightDecay: 0.01 },
    { lr: 0.03, momentum: 0.9, weightDecay: 5e-4, nesterov: true },
    { lr: 0.03, momentum: 0.5, dampening: 0.5, weightDecay: 0.1 },
  ];

  for (const config of configs) {
    it(`matches PyTorch's update over several steps: ${JSON.stringify(config)}`, () => {
      const p0 = numbers(6, 1);
      const p = hc.tensor(p0, [2, 3], { requiresGrad: true });
      const q0 = numbers(4, 2);
      const q = hc.tensor(q0, [4], { requiresGrad: true });
      const opt = new optim.SGD([p, q], config);
      const gradsP: (number[] | null)[] = [];
      const gradsQ: (number[] | null)[] = [];
      for (let step = 0; step < 6; step++) {
        const gp = numbers(6, 10 + step);
        const gq = step === 2 ? null : numbers(4, 20 + step, 3); // q skips one step
        gradsP.push(gp);
        gradsQ.push(gq);
        setGrad(p, gp);
        setGrad(q, gq);
        opt.step();
      }
      expectClose(vals(p), referenceSgd(p0, gradsP, config), 1e-4, 1e-6);
      expectClose(vals(q), referenceSgd(q0, gradsQ, config), 1e-4, 1e-6);
      expect(p.requiresGrad && !p.gradNode).toBe(true);
    });
  }

  it('steps with real gradients and zeroGrad clears them', () => {
    const w = hc.tensor([1, -2, 3], [3], { requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.5 });
    hc.scope(() => hc.sum(hc.mul(w, w)).backward()); // grad 2w
    opt.step();
    expect(vals(w)).toEqual([0, 0, 0]);
    opt.zeroGrad();
    expect(w.grad).toBeNull();
    opt.step(); // no gradient: nothing happens
    expect(vals(w)).toEqual([0, 0, 0]);
  });

  it('lr can change between steps; accepts modules and named pairs', () => {
    const lin = new nn.Linear(2, 2);
    const opt = new optim.SGD(lin, { lr: 0.1 });
    expect(opt.params).toEqual(lin.parameters());
    opt.lr = 0.01;
    expect(opt.lr).toBe(0.01);
    expectHcError(() => (opt.lr = -1), /SGD: lr/);
    expect(new optim.SGD(lin.namedParameters(), { lr: 1 }).params.length).toBe(2);
  });

  it('validates its options as PyTorch does', () => {
    const p = hc.zeros([2], { requiresGrad: true });
    expectHcError(() => new optim.SGD([p], { lr: -0.1 }), /SGD: lr expected a finite number ≥ 0, got -0.1/);
    expectHcError(() => new optim.SGD([p], { lr: NaN }), /SGD: lr/);
    expectHcError(() => new optim.SGD([p], {} as never), /SGD: lr/);
    expectHcError(() => new optim.SGD([p], { lr: 0.1, momentum: -0.5 }), /SGD: momentum/);
    expectHcError(() => new optim.SGD([p], { lr: 0.1, weightDecay: -1 }), /SGD: weightDecay/);
    expectHcError(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /SGD: nesterov expected momentum > 0 and dampening 0/);
    expectHcError(() => new optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /SGD: nesterov/);
    expectHcError(() => new optim.SGD([p], { lr: 0.1, momentun: 0.9 } as never), /SGD: options/);
    expectHcError(() => new optim.SGD([], { lr: 0.1 }), /SGD: params expected at least one parameter/);
    expectHcError(() => new optim.SGD([p, p], { lr: 0.1 }), /SGD: params\[1\] expected each parameter once/);
    expectHcError(() => new optim.SGD([hc.mul(p, 2)], { lr: 0.1 }), /SGD: params\[0\] expected a leaf tensor/);
    expectHcError(() => new optim.SGD(p as never, { lr: 0.1 }), /SGD: params/);
    expectHcError(() => new optim.SGD([3 as never], { lr: 0.1 }), /SGD: params\[0\] expected a Tensor/);
  });

  it('leaks nothing: tensor count and bytes constant across steps', () => {
    const params = [hc.randn([4, 3], { seed: 1, requiresGrad: true }), hc.randn([3], { seed: 2, requiresGrad: true })];
    const opt = new optim.SGD(params, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3, nesterov: true });
    const step = (i: number) => {
      params.forEach((p, j) => setGrad(p, numbers(p.size, 100 * i + j)));
      opt.step();
    };
    step(0);
    const after1 = hc.memory();
    for (let i = 1; i < 10; i++) step(i);
    const after10 = hc.memory();
    expect(after10.numTensors).toBe(after1.numTensors);
    expect(after10.numBytes).toBe(after1.numBytes);
    opt.dispose();
    expect(hc.memory().numTensors).toBe(after10.numTensors - 2);
  });
});

describe('adaptiveGradClip', () => {
  /** NF-Nets reference rule in float64; `unitSize` = elements per unit (whole tensor for rank ≤ 1). */
  function referenceAgc(w: number[], g: number[], unitSize: number, clipping: number, eps: number): number[] {
    const out = [...g];
    for (let u = 0; u < w.length / unitSize; u++) {
      const range = [u * unitSize, (u + 1) * unitSize] as const;
      const norm = (a: number[]) => Math.sqrt(a.slice(...range).reduce((s, v) => s + v * v, 0));
      const maxNorm = clipping * Math.max(norm(w), eps);
      const gn = norm(g);
      if (gn > maxNorm) for (let i = range[0]; i < range[1]; i++) out[i] = (g[i]! * maxNorm) / Math.max(gn, 1e-6);
    }
    return out;
  }

  it('clips unit-wise (conv output channels, linear rows, vectors, scalars) like the reference', () => {
    const cases: { shape: number[]; unit: number }[] = [
      { shape: [4, 3, 3, 3], unit: 27 },
      { shape: [5, 6], unit: 6 },
      { shape: [5], unit: 5 },
      { shape: [], unit: 1 },
      { shape: [3, 2, 4], unit: 8 },
    ];
    for (const clipping of [0.01, 0.1, 0.5]) {
      for (const { shape, unit } of cases) {
        const n = shape.reduce((a, b) => a * b, 1);
        const w0 = numbers(n, 1 + n);
        w0[0] = 0; // a zero unit on the rank-≥2 tensors: eps floor matters
        if (unit > 1 && n > unit) for (let i = 0; i < unit; i++) w0[i] = 0;
        // gradient scales vary per unit so that some units clip and some do not
        const g0 = numbers(n, 2 + n).map((v, i) => v * 10 ** (Math.floor(i / unit) % 3 - 2));
        const w = hc.tensor(w0, shape, { requiresGrad: true });
        setGrad(w, g0);
        optim.adaptiveGradClip([w], { clipping, eps: 1e-3 });
        const ref = referenceAgc(Array.from(w.dataSync()), Array.from(new Float32Array(g0)), unit, clipping, 1e-3);
        expectClose(vals(w.grad!), ref, 1e-5, 1e-9);
      }
    }
  });

  it('leaves small gradients bit-identical and excludes the classifier by tensor or by name', () => {
    hc.manualSeed(3);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const big = (p: Tensor) => setGrad(p, numbers(p.size, p.size, 100));
    const params = model.parameters();
    params.forEach(big);
    const before = params.map((p) => vals(p.grad!));
    optim.adaptiveGradClip(model, { exclude: (name) => name.startsWith('2.') });
    expect(vals(params[2]!.grad!)).toEqual(before[2]);
    expect(vals(params[3]!.grad!)).toEqual(before[3]);
    expect(vals(params[0]!.grad!)).not.toEqual(before[0]);
    params.forEach(big);
    optim.adaptiveGradClip(params, { exclude: [params[2]!, params[3]!] });
    expect(vals(params[2]!.grad!)).toEqual(before[2]);
    // tiny gradients are not touched at all
    params.forEach((p) => setGrad(p, numbers(p.size, 7, 1e-9)));
    const tiny = params.map((p) => vals(p.grad!));
    optim.adaptiveGradClip(params);
    expect(params.map((p) => vals(p.grad!))).toEqual(tiny);
    // parameters without gradients are skipped
    params[0]!.grad!.dispose();
    params[0]!.grad = null;
    optim.adaptiveGradClip(params);
    expect(params[0]!.grad).toBeNull();
  });

  it('validates options and leaks nothing', () => {
    const w = hc.randn([3, 3], { seed: 1, requiresGrad: true });
    setGrad(w, numbers(9, 2, 10));
    const before = hc.memory();
    optim.adaptiveGradClip([w]);
    expect(hc.memory().numTensors).toBe(before.numTensors);
    expect(hc.memory().numBytes).toBe(before.numBytes);
    expectHcError(() => optim.adaptiveGradClip([w], { clipping: -1 }), /adaptiveGradClip: clipping/);
    expectHcError(() => optim.adaptiveGradClip([w], { eps: NaN }), /adaptiveGradClip: eps/);
    expectHcError(() => optim.adaptiveGradClip([w], { exclude: 3 as never }), /adaptiveGradClip: exclude/);
    expectHcError(() => optim.adaptiveGradClip([w], { clip: 1 } as never), /adaptiveGradClip: options/);
  });
});

describe('clipGradNorm', () => {
  it('scales all gradients by min(1, maxNorm/(total + 1e-6)) and returns the total norm as a scalar tensor', async () => {
    const a = hc.zeros([3, 4], { requiresGrad: true });
    const b = hc.zeros([5], { requiresGrad: true });
    const c = hc.zeros([2], { requiresGrad: true }); // no gradient: ignored
    const ga = numbers(12, 1, 2);
    const gb = numbers(5, 2, 3);
    for (const maxNorm of [0.5, 3, 1e6]) {
      setGrad(a, ga);
      setGrad(b, gb);
      const all = [...ga, ...gb].map(Math.fround);
      const total = Math.sqrt(all.reduce((s, v) => s + v * v, 0));
      const coef = Math.min(1, maxNorm / (total + 1e-6));
      const norm = optim.clipGradNorm([a, b, c], maxNorm);
      expect(norm.shape).toEqual([]);
      const got = await norm.itemAsync();
      norm.dispose();
      expect(Math.abs(got - total)).toBeLessThan(1e-5 * total);
      expectClose(vals(a.grad!), ga.map((v) => Math.fround(v) * coef), 1e-4, 1e-6);
      expectClose(vals(b.grad!), gb.map((v) => Math.fround(v) * coef), 1e-4, 1e-6);
      if (coef === 1) expect(vals(a.grad!)).toEqual(Array.from(new Float32Array(ga)));
    }
    expect(c.grad).toBeNull();
    const none = optim.clipGradNorm([c], 1);
    expect(none.item()).toBe(0);
    none.dispose();
    expectHcError(() => optim.clipGradNorm([a], -1), /clipGradNorm: maxNorm/);
  });
});

describe('training', () => {
  function lenet(): nn.Sequential {
    return new nn.Sequential(
      new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.BatchNorm2d(6), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(6, 16, 5), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(16 * 5 * 5, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10),
    );
  }

  it('LeNet trains 100 steps on random data without leaking, loss decreasing', () => {
    hc.manualSeed(2024);
    const model = lenet();
    const opt = new optim.SGD(model, { lr: 0.05, momentum: 0.9 });
    const x = hc.randn([16, 1, 28, 28], { seed: 1 });
    const labels = Array.from({ length: 16 }, (_, i) => i % 10);
    const step = () =>
      hc.scope(() => {
        opt.zeroGrad();
        const loss = hc.crossEntropy(model.forward(x), labels);
        loss.backward();
        opt.step();
        return loss.item();
      });
    const losses = [step()];
    const after1 = hc.memory();
    for (let i = 1; i < 100; i++) losses.push(step());
    const after100 = hc.memory();
    expect(after100.numTensors).toBe(after1.numTensors);
    expect(after100.numBytes).toBe(after1.numBytes);
    expect(losses.every(Number.isFinite)).toBe(true);
    const early = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const late = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(late).toBeLessThan(0.5 * early);
    // eval mode uses the running statistics and also classifies the memorised batch
    model.eval();
    const logits: number[] = hc.scope(() => Array.from(model.forward(x).dataSync()));
    const correct = labels.filter((l, i) => logits.slice(i * 10, i * 10 + 10).indexOf(Math.max(...logits.slice(i * 10, i * 10 + 10))) === l).length;
    expect(correct).toBeGreaterThanOrEqual(12);
  }, 120_000);

  it('a small NF residual block (WSConv2d + Residual + AGC) trains', () => {
    hc.manualSeed(7);
    const branch = new nn.Sequential(new nn.ReLU(), new nn.WSConv2d(8, 8, 3, { padding: 1 }), new nn.ReLU(), new nn.WSConv2d(8, 8, 3, { padding: 1 }));
    const model = new nn.Sequential(
      new nn.WSConv2d(3, 8, 3, { padding: 1 }),
      new nn.Residual(branch, { alpha: 0.2, beta: 1 }),
      new nn.Residual(new nn.Sequential(new nn.ReLU(), new nn.WSConv2d(8, 8, 1)), { alpha: 0.2, beta: Math.sqrt(1 + 0.2 ** 2) }),
      new nn.ReLU(), new nn.GlobalAvgPool2d(), new nn.Flatten(), new nn.Linear(8, 4),
    );
    const classifier = model.at(6) as nn.Linear;
    const opt = new optim.SGD(model, { lr: 0.1, momentum: 0.9 });
    const x = hc.randn([8, 3, 8, 8], { seed: 3 });
    const labels = [0, 1, 2, 3, 0, 1, 2, 3];
    const step = () =>
      hc.scope(() => {
        opt.zeroGrad();
        const loss = hc.crossEntropy(model.forward(x), labels);
        loss.backward();
        optim.adaptiveGradClip(model, { clipping: 0.1, exclude: [classifier.weight, classifier.bias!] });
        opt.step();
        return loss.item();
      });
    const losses = [step()];
    const after1 = hc.memory();
    for (let i = 1; i < 60; i++) losses.push(step());
    expect(hc.memory().numTensors).toBe(after1.numTensors);
    expect(hc.memory().numBytes).toBe(after1.numBytes);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.slice(-3).reduce((a, b) => a + b) / 3).toBeLessThan(0.7 * losses[0]!);
    expect(model.namedParameters().map(([n]) => n)).toContain('1.body.1.gain');
  }, 120_000);
});

describe('class labels as a tensor', () => {
  it('crossEntropy takes labels as a [N] tensor: same loss and gradient as an index array, no upload', () => {
    const gen = new hc.RandomGenerator(5);
    const values = Float32Array.from({ length: 12 }, () => gen.nextFloat() * 4 - 2);
    const labels = [2, 0, 3];
    const a = hc.tensor(values, [3, 4], { requiresGrad: true });
    const b = hc.tensor(values, [3, 4], { requiresGrad: true });
    const labelTensor = hc.tensor(labels, [3]);
    const la = hc.crossEntropy(a, labels);
    hc.resetLaunchCounts();
    const lb = hc.crossEntropy(b, labelTensor);
    expect(hc.launchCounts().cpu?.writes ?? 0).toBe(0);
    la.backward();
    lb.backward();
    // reference: mean over rows of logsumexp − x[label], gradient (softmax − onehot)/N
    let ref = 0;
    const grad: number[] = [];
    labels.forEach((label, n) => {
      const row = Array.from(values.subarray(n * 4, n * 4 + 4));
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      ref += (lse - row[label]!) / 3;
      row.forEach((v, j) => grad.push((Math.exp(v - lse) - (j === label ? 1 : 0)) / 3));
    });
    expectClose(vals(lb), [ref]);
    expect(vals(lb)).toEqual(vals(la));
    expectClose(vals(b.grad!), grad);
    expect(vals(b.grad!)).toEqual(vals(a.grad!));
    for (const t of [a, b, labelTensor, la, lb]) t.dispose();
  });
});
