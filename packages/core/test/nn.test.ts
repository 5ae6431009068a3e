import { beforeAll, describe, expect, it } from 'vitest';
import '@hypercolumn/backend-cpu';
import * as hc from '../src/index.js';
import { expectClose, expectHcError, vals } from './helpers.js';
import { Tensor, nn } from '../src/index.js';


beforeAll(async () => {
  await hc.setBackend('cpu');
});

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(t.dataSync().buffer));



const randn = (shape: number[], seed: number) => hc.randn(shape, { seed });

describe('random', () => {
  it('manualSeed makes initialisation and randn deterministic', () => {
    hc.manualSeed(42);
    const a = new nn.Conv2d(3, 4, 3);
    const r1 = hc.randn([10]);
    hc.manualSeed(42);
    const b = new nn.Conv2d(3, 4, 3);
    const r2 = hc.randn([10]);
    expect(bits(a.weight)).toEqual(bits(b.weight));
    expect(bits(a.bias!)).toEqual(bits(b.bias!));
    expect(bits(r1)).toEqual(bits(r2));
    hc.manualSeed(43);
    const c = new nn.Conv2d(3, 4, 3);
    expect(bits(c.weight)).not.toEqual(bits(a.weight));
    for (const m of [a, b, c]) m.dispose();
    r1.dispose();
    r2.dispose();
  });

  it('a seed option uses a private generator and leaves the global stream alone', () => {
    hc.manualSeed(7);
    const first = hc.rand([5]);
    hc.manualSeed(7);
    const seeded = hc.randn([5], { seed: 123 });
    const again = hc.rand([5]);
    expect(bits(again)).toEqual(bits(first));
    expect(bits(hc.randn([5], { seed: 123 }))).toEqual(bits(seeded));
  });

  it('randn and rand have the requested distribution', () => {
    const n = hc.randn([20000], { seed: 1, mean: 2, std: 3 });
    const v = vals(n);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    expect(Math.abs(m - 2)).toBeLessThan(0.1);
    expect(Math.abs(s - 3)).toBeLessThan(0.1);
    const u = vals(hc.rand([20000], { seed: 2, low: -1, high: 0.5 }));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(0.5);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / u.length + 0.25)).toBeLessThan(0.02);
    expect(hc.randn([2, 3], { requiresGrad: true }).requiresGrad).toBe(true);
    expectHcError(() => hc.randn([2, -1]), /randn: shape\[1\]/);
    expectHcError(() => hc.rand([2], { low: 1, high: 0 }), /rand: high/);
    expectHcError(() => hc.manualSeed(0.5), /manualSeed: seed/);
  });
});

describe('Module', () => {
  const build = () =>
    new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU(), new nn.Flatten(), new nn.Linear(2 * 4 * 4, 3));

  it('lists parameters and buffers recursively with stable dotted names', () => {
    const model = build();
    expect(model.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias']);
    expect(model.namedBuffers().map(([n]) => n)).toEqual(['1.runningMean', '1.runningVar']);
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(model.buffers().some((b) => b.requiresGrad)).toBe(false);
    expect(Object.keys(model.stateDict())).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '4.weight', '4.bias', '1.runningMean', '1.runningVar',
    ]);
    const noBias = new nn.Conv2d(1, 2, 3, { bias: false });
    expect(noBias.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(noBias.bias).toBeNull();
    model.dispose();
  });

  it('shared parameters are listed once', () => {
    const lin = new nn.Linear(3, 3);
    const model = new nn.Sequential(lin, new nn.ReLU(), lin);
    expect(model.parameters().length).toBe(2);
    expect(model.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
  });

  it('train()/eval() propagate to every descendant', () => {
    const model = build();
    expect(model.modules().every((m) => m.training)).toBe(true);
    model.eval();
    expect(model.modules().some((m) => m.training)).toBe(false);
    model.train();
    expect(model.modules().every((m) => m.training)).toBe(true);
  });

  it('zeroGrad sets .grad to null and frees it', () => {
    const model = build();
    const x = randn([2, 1, 6, 6], 3);
    hc.scope(() => hc.sum(model.forward(x)).backward());
    const grads = model.parameters().map((p) => p.grad);
    expect(grads.every((g) => g instanceof Tensor)).toBe(true);
    model.zeroGrad();
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    expect(grads.every((g) => g!.isDisposed)).toBe(true);
  });

  it('module tensors survive scope(); forward leaves no intermediates behind', () => {
    let model!: nn.Sequential;
    hc.scope(() => {
      model = build();
    });
    expect(model.parameters().every((p) => !p.isDisposed)).toBe(true);
    const x = randn([2, 1, 6, 6], 4);
    model.eval();
    const before = hc.memory().numTensors;
    const y = model.forward(x);
    expect(hc.memory().numTensors).toBe(before + 1);
    y.dispose();
    model.train();
    const y2 = model.forward(x); // training: graph + running-stat update, still one new tensor
    expect(hc.memory().numTensors).toBe(before + 1);
    y2.dispose();
    expect(hc.memory().numTensors).toBe(before);
  });

  it('dispose frees parameters, buffers and gradients', () => {
    const model = build();
    const before = hc.memory().numTensors;
    const count = model.parameters().length + model.buffers().length;
    model.dispose();
    expect(hc.memory().numTensors).toBe(before - count);
  });
});

describe('default initialisation (PyTorch)', () => {
  function checkUniform(t: Tensor, bound: number): void {
    const v = vals(t);
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
    // U(−b, b): variance b²/3; the sample is large enough to land close
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
    expect(Math.abs(m)).toBeLessThan(0.05 * bound);
    expect(variance / (bound * bound / 3)).toBeGreaterThan(0.9);
    expect(variance / (bound * bound / 3)).toBeLessThan(1.1);
    expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.95 * bound);
  }

  it('Conv2d, Conv1d and Linear use U(±1/√fanIn) for weight and bias', () => {
    hc.manualSeed(0);
    const conv = new nn.Conv2d(8, 64, [3, 5], { groups: 2 });
    expect(conv.weight.shape).toEqual([64, 4, 3, 5]);
    checkUniform(conv.weight, 1 / Math.sqrt(4 * 15));
    expect(Math.max(...vals(conv.bias!).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(60));
    const conv1 = new nn.Conv1d(16, 32, 7);
    checkUniform(conv1.weight, 1 / Math.sqrt(16 * 7));
    const lin = new nn.Linear(200, 100);
    expect(lin.weight.shape).toEqual([100, 200]);
    checkUniform(lin.weight, 1 / Math.sqrt(200));
    checkUniform(new nn.Linear(1000, 1000).bias!, 1 / Math.sqrt(1000));
  });

  it('norm layers start at weight 1, bias 0, running mean 0, running var 1; FRN τ 0', () => {
    const bn = new nn.BatchNorm2d(3);
    expect(vals(bn.weight!)).toEqual([1, 1, 1]);
    expect(vals(bn.bias!)).toEqual([0, 0, 0]);
    expect(vals(bn.runningMean!)).toEqual([0, 0, 0]);
    expect(vals(bn.runningVar!)).toEqual([1, 1, 1]);
    const gn = new nn.GroupNorm(2, 4);
    expect(vals(gn.weight!)).toEqual([1, 1, 1, 1]);
    const ln = new nn.LayerNorm([2, 3]);
    expect(ln.weight!.shape).toEqual([2, 3]);
    expect(new nn.InstanceNorm2d(3).parameters()).toEqual([]);
    const frn = new nn.FilterResponseNorm2d(2);
    expect(vals(frn.tau)).toEqual([0, 0]);
    expect(frn.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias', 'tau']);
    const learnable = new nn.FilterResponseNorm2d(2, { learnableEps: true, eps: 1e-4 });
    expect(learnable.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias', 'tau', 'eps']);
    expect(vals(learnable.eps as Tensor)[0]).toBeCloseTo(1e-4, 10);
    const ws = new nn.WSConv2d(2, 3, 3);
    expect(vals(ws.gain)).toEqual([1, 1, 1]);
  });

  it('constructors validate their arguments', () => {
    expectHcError(() => new nn.Conv2d(3, 4, 0), /Conv2d: kernelSize/);
    expectHcError(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /Conv2d: groups/);
    expectHcError(() => new nn.Conv2d(3, 4, 3, { strid: 2 } as never), /Conv2d: options/);
    expectHcError(() => new nn.Linear(0, 3), /Linear: inFeatures/);
    expectHcError(() => new nn.BatchNorm2d(4, { momentum: -1 }), /BatchNorm2d: momentum/);
    expectHcError(() => new nn.BatchRenorm2d(4, { rMax: 0.5 }), /BatchRenorm2d: rMax/);
    expectHcError(() => new nn.GroupNorm(3, 4), /GroupNorm: numGroups/);
    expectHcError(() => new nn.Residual({} as never), /Residual: body/);
  });
});

describe('layers equal the functional ops', () => {
  it('convolutions, pools, linear, activations, flatten', () => {
    const x = randn([2, 4, 9, 8], 10);
    const conv = new nn.Conv2d(4, 6, [3, 2], { stride: [2, 1], padding: 'same', dilation: 1, groups: 2, mode: 'convolution' });
    expect(bits(conv.forward(x))).toEqual(bits(hc.conv2d(x, conv.weight, conv.bias, { stride: [2, 1], padding: 'same', groups: 2, mode: 'convolution' })));
    const x1 = randn([2, 4, 11], 11);
    const conv1 = new nn.Conv1d(4, 3, 3, { padding: 2, dilation: 2, bias: false });
    expect(bits(conv1.forward(x1))).toEqual(bits(hc.conv1d(x1, conv1.weight, null, { padding: 2, dilation: 2 })));
    expect(bits(new nn.MaxPool2d({ kernelSize: 3, stride: 2, padding: 1, ceilMode: true }).forward(x))).toEqual(
      bits(hc.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true })),
    );
    expect(bits(new nn.MaxPool2d(2).forward(x))).toEqual(bits(hc.maxPool2d(x, { kernelSize: 2 })));
    expect(bits(new nn.AvgPool2d({ kernelSize: 3, padding: 1, countIncludePad: false }).forward(x))).toEqual(
      bits(hc.avgPool2d(x, { kernelSize: 3, padding: 1, countIncludePad: false })),
    );
    expect(bits(new nn.GlobalAvgPool2d().forward(x))).toEqual(bits(hc.globalAvgPool2d(x)));
    expect(bits(new nn.ReLU().forward(x))).toEqual(bits(hc.relu(x)));
    const flat = new nn.Flatten().forward(x);
    expect(flat.shape).toEqual([2, 4 * 9 * 8]);
    expect(new nn.Flatten(2).forward(x).shape).toEqual([2, 4, 72]);
    const lin = new nn.Linear(288, 5);
    expect(bits(lin.forward(flat))).toEqual(bits(hc.linear(flat, lin.weight, lin.bias)));
  });

  it('normalization layers', () => {
    const x = randn([3, 4, 5, 6], 12);
    // non-trivial affine parameters and running statistics
    const setTo = (t: Tensor, seed: number, offset = 0) => t.assign(hc.add(hc.randn([...t.shape], { seed }), offset));
    const bn = new nn.BatchNorm2d(4).eval();
    setTo(bn.weight!, 1);
    setTo(bn.bias!, 2);
    setTo(bn.runningMean!, 3);
    bn.runningVar!.assign(hc.rand([4], { seed: 4, low: 0.5, high: 2 }));
    expect(bits(bn.forward(x))).toEqual(bits(hc.batchNorm(x, bn.runningMean, bn.runningVar, bn.weight, bn.bias, { eps: 1e-5 })));
    const brn = new nn.BatchRenorm2d(4).eval();
    expect(bits(brn.forward(x))).toEqual(bits(hc.batchRenorm(x, brn.runningMean!, brn.runningVar!, brn.weight, brn.bias)));
    const ln = new nn.LayerNorm([5, 6], { eps: 1e-3 });
    setTo(ln.weight!, 5);
    expect(bits(ln.forward(x))).toEqual(bits(hc.layerNorm(x, [5, 6], ln.weight, ln.bias, { eps: 1e-3 })));
    const inorm = new nn.InstanceNorm2d(4, { affine: true });
    setTo(inorm.bias!, 6);
    expect(bits(inorm.forward(x))).toEqual(bits(hc.instanceNorm(x, inorm.weight, inorm.bias)));
    expect(bits(new nn.InstanceNorm2d(4).forward(x))).toEqual(bits(hc.instanceNorm(x)));
    const gn = new nn.GroupNorm(2, 4);
    setTo(gn.weight!, 7);
    expect(bits(gn.forward(x))).toEqual(bits(hc.groupNorm(x, 2, gn.weight, gn.bias)));
    const frn = new nn.FilterResponseNorm2d(4);
    setTo(frn.tau, 8, -0.5);
    setTo(frn.bias, 9);
    expect(bits(frn.forward(x))).toEqual(bits(hc.tlu(hc.frn(x, frn.weight, frn.bias, { eps: 1e-6 }), frn.tau)));
    const frnL = new nn.FilterResponseNorm2d(4, { learnableEps: true, eps: 1e-2 });
    const y = frnL.forward(x);
    expect(bits(y)).toEqual(bits(hc.tlu(hc.frn(x, frnL.weight, frnL.bias, { eps: frnL.eps }), frnL.tau)));
    hc.sum(y).backward();
    expect((frnL.eps as Tensor).grad).toBeInstanceOf(Tensor);
    expectHcError(() => bn.forward(randn([2, 3, 4, 4], 1)), /^BatchNorm2d\.forward: x/);
    expectHcError(() => bn.forward(randn([2, 4, 4], 1)), /^BatchNorm2d\.forward: x/);
  });
});

describe('BatchNorm2d train/eval against float64', () => {
  /** Float64 batch statistics per channel: mean and biased variance. */
  function stats(x: Float32Array, [n, c, h, w]: number[]) {
    const count = n! * h! * w!;
    const mean = new Array<number>(c!).fill(0);
    const variance = new Array<number>(c!).fill(0);
    for (let ch = 0; ch < c!; ch++) {
      let s = 0;
      for (let i = 0; i < n!; i++) for (let j = 0; j < h! * w!; j++) s += x[(i * c! + ch) * h! * w! + j]!;
      mean[ch] = s / count;
      let q = 0;
      for (let i = 0; i < n!; i++) for (let j = 0; j < h! * w!; j++) q += (x[(i * c! + ch) * h! * w! + j]! - mean[ch]!) ** 2;
      variance[ch] = q / count;
    }
    return { mean, variance, count };
  }
  function normalize(x: Float32Array, shape: number[], mean: number[], variance: number[], gamma: number[], beta: number[], eps: number): number[] {
    const [n, c, h, w] = shape as [number, number, number, number];
    const out: number[] = [];
    for (let i = 0; i < n; i++)
      for (let ch = 0; ch < c; ch++)
        for (let j = 0; j < h * w; j++) out.push(((x[(i * c + ch) * h * w + j]! - mean[ch]!) / Math.sqrt(variance[ch]! + eps)) * gamma[ch]! + beta[ch]!);
    return out;
  }

  it('normalizes with batch statistics and updates running stats (unbiased var) in train; frozen in eval', () => {
    const shape = [4, 3, 5, 5];
    const bn = new nn.BatchNorm2d(3);
    bn.weight!.assign(hc.tensor([1.5, -0.5, 2], [3]));
    bn.bias!.assign(hc.tensor([0.1, 0.2, -0.3], [3]));
    const gamma = [1.5, -0.5, 2].map(Math.fround);
    const beta = [0.1, 0.2, -0.3].map(Math.fround);
    let rm = [0, 0, 0];
    let rv = [1, 1, 1];
    for (let step = 0; step < 3; step++) {
      const x = hc.add(hc.mul(randn(shape, 100 + step), 2), step);
      const xv = x.dataSync();
      const y = bn.forward(x);
      const { mean, variance, count } = stats(xv, shape);
      expectClose(vals(y), normalize(xv, shape, mean, variance, gamma, beta, 1e-5), 1e-4, 1e-5);
      rm = rm.map((r, i) => 0.9 * r + 0.1 * mean[i]!);
      rv = rv.map((r, i) => 0.9 * r + 0.1 * variance[i]! * (count / (count - 1)));
      expectClose(vals(bn.runningMean!), rm, 1e-5, 1e-6);
      expectClose(vals(bn.runningVar!), rv, 1e-5, 1e-6);
    }
    bn.eval();
    const x = randn(shape, 200);
    const before = [bits(bn.runningMean!), bits(bn.runningVar!)];
    const y = bn.forward(x);
    expectClose(vals(y), normalize(x.dataSync(), shape, rm, rv, gamma, beta, 1e-5), 1e-4, 1e-5);
    expect([bits(bn.runningMean!), bits(bn.runningVar!)]).toEqual(before);
  });

  it('trackRunningStats: false always uses batch statistics', () => {
    const bn = new nn.BatchNorm2d(2, { trackRunningStats: false, affine: false }).eval();
    expect(bn.buffers()).toEqual([]);
    const x = randn([3, 2, 4, 4], 5);
    const { mean, variance } = stats(x.dataSync(), [3, 2, 4, 4]);
    expectClose(vals(bn.forward(x)), normalize(x.dataSync(), [3, 2, 4, 4], mean, variance, [1, 1], [0, 0], 1e-5));
  });

  it('BatchRenorm2d: r and d from the running statistics, clipped', () => {
    const shape = [4, 2, 3, 3];
    const brn = new nn.BatchRenorm2d(2, { rMax: 1.5, dMax: 0.5 });
    brn.runningMean!.assign(hc.tensor([0.2, -3], [2]));
    brn.runningVar!.assign(hc.tensor([0.5, 9], [2]));
    const x = hc.mul(randn(shape, 300), 1.7);
    const xv = x.dataSync();
    const y = brn.forward(x);
    const { mean, variance, count } = stats(xv, shape);
    const rmean = [0.2, -3].map(Math.fround);
    const rvar = [0.5, 9];
    const clip = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    const ref: number[] = [];
    const [n, c, h, w] = shape as [number, number, number, number];
    for (let i = 0; i < n; i++)
      for (let ch = 0; ch < c; ch++) {
        const sigma = Math.sqrt(rvar[ch]! + 1e-5);
        const sB = Math.sqrt(variance[ch]! + 1e-5);
        const r = clip(sB / sigma, 1 / 1.5, 1.5);
        const d = clip((mean[ch]! - rmean[ch]!) / sigma, -0.5, 0.5);
        for (let j = 0; j < h * w; j++) ref.push(((xv[(i * c + ch) * h * w + j]! - mean[ch]!) / sB) * r + d);
      }
    expectClose(vals(y), ref);
    expectClose(vals(brn.runningMean!), rmean.map((r, i) => 0.9 * r + 0.1 * mean[i]!), 1e-5, 1e-6);
    expectClose(vals(brn.runningVar!), rvar.map((r, i) => 0.9 * r + 0.1 * variance[i]! * (count / (count - 1))), 1e-5, 1e-6);
  });
});

describe('WSConv2d', () => {
  it('standardizes the weight per output channel (float64 reference) and convolves with it', () => {
    hc.manualSeed(5);
    const ws = new nn.WSConv2d(3, 4, 3, { padding: 1 });
    ws.gain.assign(hc.tensor([1, 2, 0.5, -1], [4]));
    const w = ws.weight.dataSync();
    const fanIn = 27;
    const ref = new Float32Array(w.length);
    const gain = [1, 2, 0.5, -1];
    for (let o = 0; o < 4; o++) {
      const unit = Array.from(w.subarray(o * fanIn, (o + 1) * fanIn));
      const m = unit.reduce((a, b) => a + b, 0) / fanIn;
      const v = unit.reduce((a, b) => a + (b - m) ** 2, 0) / fanIn;
      unit.forEach((u, i) => (ref[o * fanIn + i] = (gain[o]! * (u - m)) / Math.sqrt(v * fanIn + 1e-4)));
    }
    const eff = ws.effectiveWeight();
    expectClose(vals(eff), ref, 1e-5, 1e-6);
    const x = randn([2, 3, 6, 6], 6);
    const y = ws.forward(x);
    expectClose(vals(y), vals(hc.conv2d(x, hc.tensor(ref, [4, 3, 3, 3]), ws.bias, { padding: 1 })), 1e-4, 1e-5);
  });

  it('is invariant to per-channel shift and scale of the raw weight, and differentiable', () => {
    const ws = new nn.WSConv2d(2, 3, 3, { bias: false, eps: 0 });
    const x = randn([1, 2, 5, 5], 7);
    const y0 = vals(ws.forward(x));
    ws.weight.assign(hc.add(hc.mul(ws.weight, hc.tensor([3, 0.5, 7], [3, 1, 1, 1])), hc.tensor([1, -2, 0.25], [3, 1, 1, 1])));
    expectClose(vals(ws.forward(x)), y0, 1e-3, 1e-5);
    const loss = hc.sum(hc.mul(ws.forward(x), ws.forward(x)));
    loss.backward();
    expect(ws.weight.grad!.shape).toEqual([3, 2, 3, 3]);
    expect(ws.gain.grad!.shape).toEqual([3]);
    // d loss / d gain_o = 2·Σ y_o² / gain_o (y is linear in gain_o), gain = 1
    const y = ws.forward(x).dataSync();
    const refGain = [0, 1, 2].map((o) => 2 * y.subarray(o * 9, (o + 1) * 9).reduce((a, b) => a + b * b, 0));
    expectClose(vals(ws.gain.grad!), refGain, 1e-3, 1e-4);
    // the standardized weight has zero mean per unit, so its gradient w.r.t. the raw weight has zero sum per unit
    const gw = vals(ws.weight.grad!);
    for (let o = 0; o < 3; o++) expect(Math.abs(gw.slice(o * 18, (o + 1) * 18).reduce((a, b) => a + b, 0))).toBeLessThan(1e-3);
  });
});

describe('Residual and Sequential', () => {
  it('y = x + f(x); y = shortcut(x/β) + α·f(x/β)', () => {
    const x = randn([2, 3, 4, 4], 20);
    const conv = new nn.Conv2d(3, 3, 3, { padding: 1 });
    const res = new nn.Residual(conv);
    expect(res.namedParameters().map(([n]) => n)).toEqual(['body.weight', 'body.bias']);
    expect(bits(res.forward(x))).toEqual(bits(hc.add(x, conv.forward(x))));
    const proj = new nn.Conv2d(3, 3, 1);
    const nf = new nn.Residual(conv, { shortcut: proj, alpha: 0.2, beta: 2 });
    const xs = hc.div(x, 2);
    expect(bits(nf.forward(x))).toEqual(bits(hc.add(proj.forward(xs), hc.mul(conv.forward(xs), 0.2))));
    const mismatched = new nn.Residual(new nn.Conv2d(3, 5, 1));
    expectHcError(() => mismatched.forward(x), /Residual/);
  });

  it('Sequential chains its layers', () => {
    const a = new nn.Conv2d(3, 2, 3);
    const b = new nn.ReLU();
    const seq = new nn.Sequential(a, b);
    const x = randn([1, 3, 5, 5], 21);
    expect(bits(seq.forward(x))).toEqual(bits(b.forward(a.forward(x))));
    expect(seq.length).toBe(2);
    expect([...seq]).toEqual([a, b]);
  });
});

describe('state dict', () => {
  const build = () =>
    new nn.Sequential(new nn.Conv2d(2, 3, 3), new nn.BatchNorm2d(3), new nn.ReLU(), new nn.GlobalAvgPool2d(), new nn.Flatten(), new nn.Linear(3, 2));

  it('is a snapshot: later training does not change it', () => {
    const model = build();
    const dict = model.stateDict();
    const w = bits(dict['0.weight']!);
    model.forward(randn([2, 2, 5, 5], 1)).dispose(); // updates running stats
    (model.at(0) as nn.Conv2d).weight.assign(hc.zeros([3, 2, 3, 3]));
    expect(bits(dict['0.weight']!)).toEqual(w);
    expect(vals(dict['1.runningMean']!)).toEqual([0, 0, 0]);
    expect(dict['0.weight']!.requiresGrad).toBe(false);
  });

  it('round-trips through bytes bit for bit, including special values', () => {
    hc.manualSeed(9);
    const model = build();
    model.forward(randn([4, 2, 5, 5], 2)).dispose();
    const special = hc.tensor(new Float32Array([NaN, -0, Infinity, -Infinity, 1e-45, -3.4028234663852886e38, 0.1]), [7]);
    const dict = { ...model.stateDict(), special, scalar: hc.scalar(2.5), empty: hc.zeros([0, 3]) };
    const bytes = nn.saveStateDict(dict);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('HCSD');
    const loaded = nn.loadStateDictBytes(bytes);
    expect(Object.keys(loaded)).toEqual(Object.keys(dict));
    for (const [name, t] of Object.entries(dict)) {
      expect(loaded[name]!.shape).toEqual(t.shape);
      expect(bits(loaded[name]!)).toEqual(bits(t));
    }
    // loading into a fresh model reproduces the outputs exactly
    hc.manualSeed(10);
    const other = build();
    const { special: _s, scalar: _c, empty: _e, ...weights } = loaded;
    other.loadStateDict(weights);
    model.eval();
    other.eval();
    const x = randn([2, 2, 5, 5], 3);
    expect(bits(other.forward(x))).toEqual(bits(model.forward(x)));
  });

  it('loadStateDict rejects missing, extra, misshaped and bad entries and changes nothing', () => {
    hc.manualSeed(11);
    const model = build();
    const snapshot = () => model.namedParameters().concat(model.namedBuffers()).map(([n, t]) => [n, bits(t)]);
    const before = snapshot();
    hc.manualSeed(12);
    const good = build().stateDict();
    const { ['1.runningVar']: _rv, ...missing } = good;
    expectHcError(() => model.loadStateDict(missing), /missing "1\.runningVar"/);
    expectHcError(() => model.loadStateDict({ ...good, extra: hc.zeros([1]) }), /unexpected "extra"/);
    expectHcError(() => model.loadStateDict({ ...good, '5.bias': hc.zeros([3]) }), /dict\["5\.bias"\] expected shape \[2\], got \[3\]/);
    expectHcError(() => model.loadStateDict({ ...good, '5.bias': [1, 2] as never }), /expected a Tensor/);
    const dead = hc.zeros([2]);
    dead.dispose();
    expectHcError(() => model.loadStateDict({ ...good, '5.bias': dead }), /live tensor/);
    expectHcError(() => model.loadStateDict(null as never), /dict/);
    expect(snapshot()).toEqual(before);
    // non-strict: missing entries are kept, shapes still checked
    model.loadStateDict({ '5.bias': good['5.bias']! }, { strict: false });
    expect(bits((model.at(5) as nn.Linear).bias!)).toEqual(bits(good['5.bias']!));
    expectHcError(() => model.loadStateDict({ '5.bias': hc.zeros([9]) }, { strict: false }), /shape/);
  });

  it('loadStateDictBytes reports corrupt and truncated bytes', () => {
    const bytes = nn.saveStateDict({ a: randn([3, 4], 1), b: randn([5], 2) });
    const mutate = (f: (b: Uint8Array) => void) => {
      const copy = bytes.slice();
      f(copy);
      return copy;
    };
    const err = /loadStateDictBytes: bytes expected a hypercolumn state dict/;
    expectHcError(() => nn.loadStateDictBytes(bytes.subarray(0, bytes.length - 1)), /truncated/);
    expectHcError(() => nn.loadStateDictBytes(bytes.subarray(0, 20)), /truncated/);
    expectHcError(() => nn.loadStateDictBytes(new Uint8Array(3)), /truncated/);
    expectHcError(() => nn.loadStateDictBytes(mutate((b) => (b[0] = 0x58))), /magic/);
    expectHcError(() => nn.loadStateDictBytes(mutate((b) => (b[4] = 9))), /version 9/);
    expectHcError(() => nn.loadStateDictBytes(mutate((b) => (b[13] = 0x7b))), err);
    expectHcError(() => nn.loadStateDictBytes(mutate((b) => (b[b.length - 3] ^= 0x10))), /checksum/);
    const at = new TextDecoder().decode(bytes).indexOf('"shape":[3,4]');
    expect(at).toBeGreaterThan(0);
    // the checksum covers the header: a changed shape or a flipped bit in a name is corruption, not another dict
    expectHcError(() => nn.loadStateDictBytes(mutate((b) => b.set(new TextEncoder().encode('"shape":[4,4]'), at))), /CRC-32 does not match/);
    const nameAt = new TextDecoder().decode(bytes).indexOf('"name":"b"') + 8;
    expect(String.fromCharCode(bytes[nameAt]!)).toBe('b');
    expectHcError(() => nn.loadStateDictBytes(mutate((b) => (b[nameAt] ^= 0x01))), /CRC-32 does not match/);
    for (const at of [12, 16, 40]) expectHcError(() => nn.loadStateDictBytes(mutate((b) => (b[at] ^= 0x80))), err);
    expectHcError(() => nn.loadStateDictBytes(new Uint8Array([...bytes, 0, 0, 0, 0])), /trailing/);
    expectHcError(() => nn.loadStateDictBytes('nope' as never), /Uint8Array/);
    expectHcError(() => nn.saveStateDict({ a: 3 } as never), /saveStateDict: dict\["a"\]/);
  });
});

describe('fuseConvBatchNorm', () => {
  async function trainedBn(c: number, seed: number): Promise<nn.BatchNorm2d> {
    const bn = new nn.BatchNorm2d(c, { momentum: 0.5 });
    bn.weight!.assign(hc.randn([c], { seed }));
    bn.bias!.assign(hc.randn([c], { seed: seed + 1 }));
    for (let i = 0; i < 3; i++) bn.forward(hc.add(hc.mul(randn([4, c, 3, 3], seed + 2 + i), 3), 1)).dispose();
    return bn.eval();
  }

  it('equals conv → BN(eval) for several conv configurations', async () => {
    const configs: [nn.Conv2d, number[]][] = [
      [new nn.Conv2d(3, 4, 3, { padding: 1 }), [2, 3, 6, 6]],
      [new nn.Conv2d(4, 6, [3, 2], { stride: 2, groups: 2, bias: false, mode: 'convolution' }), [1, 4, 7, 8]],
      [new nn.Conv2d(2, 3, 1, { padding: 'same', dilation: 2 }), [2, 2, 5, 5]],
      [new nn.WSConv2d(3, 4, 3), [2, 3, 5, 5]],
    ];
    let seed = 30;
    for (const [conv, shape] of configs) {
      const bn = await trainedBn(conv.outChannels, seed);
      conv.eval();
      const x = randn(shape, seed++);
      const ref = bn.forward(conv.forward(x));
      const fused = hc.fuseConvBatchNorm(conv, bn);
      expect(fused).toBeInstanceOf(nn.Conv2d);
      expect(fused.bias).not.toBeNull();
      expect(fused.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
      const got = fused.forward(x);
      const scale = Math.max(...vals(ref).map(Math.abs));
      expectClose(vals(got), vals(ref), 1e-4, 1e-5 * scale);
      seed += 5;
    }
    expect(nn.fuseConvBatchNorm).toBe(hc.fuseConvBatchNorm);
  });

  it('does not consume randomness and validates its inputs', async () => {
    const conv = new nn.Conv2d(2, 3, 3);
    const bn = await trainedBn(3, 50);
    hc.manualSeed(1);
    hc.fuseConvBatchNorm(conv, bn);
    const after = vals(hc.rand([3]));
    hc.manualSeed(1);
    expect(vals(hc.rand([3]))).toEqual(after);
    expectHcError(() => hc.fuseConvBatchNorm(conv, new nn.BatchNorm2d(4)), /fuseConvBatchNorm: bn/);
    expectHcError(() => hc.fuseConvBatchNorm(conv, new nn.BatchNorm2d(3, { trackRunningStats: false })), /running statistics/);
    expectHcError(() => hc.fuseConvBatchNorm(new nn.Linear(2, 3) as never, bn), /fuseConvBatchNorm: conv/);
  });
});
