/**
 * Op rows of the training checks (and the elementwise/reduction ops add, mul, sum, mean): how each
 * is called on hypercolumn's public API and on the float64 reference. Spread into OPS (ops.ts), so
 * the one case table and runner drive them on every backend.
 *
 * Every `run` that builds modules or optimizers disposes them before returning; the tensors it
 * returns are fresh (×1 copies) so the runner's scope frees them after reading (leak check).
 */
import type * as HC from '@hypercolumn/core';
import type { Tensor } from '@hypercolumn/core';
import type { Attrs, OpSpec, RefOut } from '../ops.js';
import * as R from '../reference/index.js';
import type { F64, Layer, WithMagnitude } from '../reference/index.js';
import { NETS } from './nets.js';

type Hc = typeof HC;
type Module = HC.nn.Module;

const ATOL = 1e-5;
const fill = (shape: number[], v: number): F64 => R.f64(shape, new Array(R.numel(shape)).fill(v));
const withMag = (y: F64, m: F64 | number): RefOut => ({ ...y, magnitude: typeof m === 'number' ? fill(y.shape, m) : m });
const absMag = (y: F64): RefOut => withMag(y, R.absOf(y));
const copy = (hc: Hc, t: Tensor): Tensor => hc.noGrad(() => hc.mul(t, 1));

// ------------------------------------------------------------------ networks with hc.nn

function buildLayers(hc: Hc, layers: readonly Layer[]): Module[] {
  return layers.map((l): Module => {
    switch (l.type) {
      case 'conv':
        return l.ws
          ? new hc.nn.WSConv2d(l.in, l.out, l.k, { ...(l.opts as HC.nn.Conv2dLayerOptions), bias: l.bias !== false, ...(l.wsEps !== undefined ? { eps: l.wsEps } : {}) })
          : new hc.nn.Conv2d(l.in, l.out, l.k, { ...(l.opts as HC.nn.Conv2dLayerOptions), bias: l.bias !== false });
      case 'bn':
        return new hc.nn.BatchNorm2d(l.c, { ...(l.eps !== undefined ? { eps: l.eps } : {}), ...(l.momentum !== undefined ? { momentum: l.momentum } : {}) });
      case 'relu':
        return new hc.nn.ReLU();
      case 'maxpool':
        return new hc.nn.MaxPool2d(l.opts as HC.MaxPool2dOptions);
      case 'gap':
        return new hc.nn.GlobalAvgPool2d();
      case 'flatten':
        return new hc.nn.Flatten();
      case 'linear':
        return new hc.nn.Linear(l.in, l.out, { bias: l.bias !== false });
      case 'residual':
        return new hc.nn.Residual(new hc.nn.Sequential(...buildLayers(hc, l.body)), { alpha: l.alpha ?? 1, beta: l.beta ?? 1 });
    }
  });
}

/** Builds the network and loads the case's parameter values (every name must exist in the module). */
function buildNet(hc: Hc, netKey: string, t: Record<string, Tensor | undefined>): HC.nn.Sequential {
  const net = new hc.nn.Sequential(...buildLayers(hc, NETS[netKey].layers));
  const own = new Set([...net.namedParameters(), ...net.namedBuffers()].map(([n]) => n));
  const dict: Record<string, Tensor> = {};
  for (const p of R.netParams(NETS[netKey].layers)) {
    const v = t[p.name];
    if (!v) continue;
    if (!own.has(p.name)) {
      net.dispose();
      throw new Error(`conformance: the hypercolumn network has no parameter ${p.name}`);
    }
    dict[p.name] = v;
  }
  net.loadStateDict(dict, { strict: false });
  return net;
}

/**
 * Network parameters drawn U(−1, 1) are rescaled as PyTorch initialises them: conv/linear weights
 * and biases ×1/√fanIn, batch-norm weights and WS gains 1 + v/2 (so training behaves normally).
 */
function prepareNet(v: Record<string, Float32Array>, _shapes: Record<string, number[]>, a: Attrs): void {
  const visit = (layers: readonly Layer[], prefix: string) =>
    layers.forEach((l, i) => {
      const p = `${prefix}${i}.`;
      if (l.type === 'conv' || l.type === 'linear') {
        const fanIn = l.type === 'linear' ? l.in : (l.in / (l.opts?.groups ?? 1)) * l.k[0] * l.k[1];
        for (const n of ['weight', 'bias']) v[p + n]?.forEach((e, k, arr) => (arr[k] = e / Math.sqrt(fanIn)));
        v[`${p}gain`]?.forEach((e, k, arr) => (arr[k] = 1 + e / 2));
      } else if (l.type === 'bn') v[`${p}weight`]?.forEach((e, k, arr) => (arr[k] = 1 + e / 2));
      else if (l.type === 'residual') visit(l.body, `${p}body.`);
    });
  visit(NETS[a.net].layers, '');
}

/** Every parameter/buffer name any network uses (input names of the network rows). */
const NET_INPUTS = [...new Set(Object.values(NETS).flatMap((n) => R.netParams(n.layers).map((p) => p.name)))];
const paramNames = (netKey: string) => R.netParams(NETS[netKey].layers).filter((p) => p.kind === 'param').map((p) => p.name);
const classifierPrefix = (netKey: string) => `${NETS[netKey].layers.length - 1}.`;

function netKernels(netKey: string, training: boolean): string[] {
  const k = new Set(['linear', 'matMul', 'sum', 'softmaxCrossEntropy', 'softmaxCrossEntropyBackward', 'mul', 'add', 'broadcastTo']);
  const visit = (layers: readonly Layer[]) => {
    for (const l of layers) {
      if (l.type === 'conv') {
        ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter'].forEach((x) => k.add(x));
        if (l.opts?.mode === 'convolution') k.add('reverseSpatial');
        if (l.ws) ['sub', 'div', 'sqrt'].forEach((x) => k.add(x));
      } else if (l.type === 'bn') ['batchNormTraining', 'batchNormBackward'].forEach((x) => k.add(x));
      else if (l.type === 'relu') ['relu', 'reluBackward'].forEach((x) => k.add(x));
      else if (l.type === 'maxpool') ['maxPool2d', 'maxPool2dBackward'].forEach((x) => k.add(x));
      else if (l.type === 'gap') k.add('globalAvgPool');
      else if (l.type === 'residual') {
        if ((l.beta ?? 1) !== 1) k.add('div');
        visit(l.body);
      }
    }
  };
  visit(NETS[netKey].layers);
  if (training) ['sub', 'maximum', 'minimum', 'div', 'sqrt'].forEach((x) => k.add(x));
  return [...k];
}

/** FD gradient tolerance as checkBackward's: magnitude = the largest |∂L/∂p| of that tensor, plus the FD noise floor. */
function gradMag(g: F64, loss: number): F64 {
  const floor = 1e-9 * (1 + Math.abs(loss));
  return fill(g.shape, R.maxAbs(g) + floor / ATOL);
}

// ------------------------------------------------------------------ AGC and clipGradNorm inputs

const CLIP_PARAMS = [
  ['conv.weight', 'convW', 'convG'],
  ['conv.bias', 'convB', 'convBG'],
  ['fc.weight', 'linW', 'linG'],
  ['fc.bias', 'linB', 'linBG'],
] as const;
const CLIP_INPUTS = CLIP_PARAMS.flatMap(([, w, g]) => [w, g]);

function clipParams(hc: Hc, t: Record<string, Tensor | undefined>): [string, Tensor][] {
  const out: [string, Tensor][] = [];
  for (const [name, w, g] of CLIP_PARAMS) {
    const p = t[w];
    if (!p) continue;
    p.requiresGrad = true;
    p.grad = copy(hc, t[g]!).keep();
    out.push([name, p]);
  }
  return out;
}

/** Ratios ‖G_u‖ / (clipping·max(‖W_u‖, eps)) the AGC cases give their units (clipped iff > 1; none near 1). */
const AGC_RATIOS = [0.3, 2.5, 0.7, 1.6, 4];

// ------------------------------------------------------------------ the rows

/** A broadcasting binary op: hypercolumn's `op`, the float64 `reference`, ONNX's `opType`. */
function binaryRow(op: 'sub' | 'div' | 'maximum' | 'minimum', opType: string, reference: (a: F64, b: F64) => WithMagnitude): OpSpec {
  return {
    inputs: ['a', 'b'],
    run: (hc, t) => [hc[op](t.a!, t.b!)],
    reference: (v) => [reference(v.a!, v.b!)],
    onnx: (v) => ({ node: { opType, inputs: [{ name: 'a', shape: v.a!.shape }, { name: 'b', shape: v.b!.shape }], outputs: ['y'] }, feeds: { a: v.a!.data, b: v.b!.data } }),
  };
}

export const TRAINING_OPS: Record<string, OpSpec> = {
  add: {
    inputs: ['a', 'b'],
    run: (hc, t) => [hc.add(t.a!, t.b!)],
    reference: (v) => [R.addBroadcast(v.a!, v.b!)],
    onnx: (v) => ({ node: { opType: 'Add', inputs: [{ name: 'a', shape: v.a!.shape }, { name: 'b', shape: v.b!.shape }], outputs: ['y'] }, feeds: { a: v.a!.data, b: v.b!.data } }),
    differentiable: ['a', 'b'],
  },
  mul: {
    inputs: ['a', 'b'],
    run: (hc, t) => [hc.mul(t.a!, t.b!)],
    reference: (v) => [R.mulBroadcast(v.a!, v.b!)],
    onnx: (v) => ({ node: { opType: 'Mul', inputs: [{ name: 'a', shape: v.a!.shape }, { name: 'b', shape: v.b!.shape }], outputs: ['y'] }, feeds: { a: v.a!.data, b: v.b!.data } }),
    differentiable: ['a', 'b'],
  },
  sub: binaryRow('sub', 'Sub', R.subBroadcast),
  div: binaryRow('div', 'Div', R.divBroadcast),
  maximum: binaryRow('maximum', 'Max', R.maximumBroadcast),
  minimum: binaryRow('minimum', 'Min', R.minimumBroadcast),
  sum: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.sum(t.x!, a.axis, a.keepDims ?? false)],
    reference: (v, a) => [R.reduceSum(v.x!, a.axis, a.keepDims ?? false)],
    onnx: (v, a) => reduceOnnx('ReduceSum', v.x!, a),
    differentiable: ['x'],
  },
  mean: {
    inputs: ['x'],
    run: (hc, t, a) => [hc.mean(t.x!, a.axis, a.keepDims ?? false)],
    reference: (v, a) => [R.reduceSum(v.x!, a.axis, a.keepDims ?? false, true)],
    onnx: (v, a) => reduceOnnx('ReduceMean', v.x!, a),
    differentiable: ['x'],
  },

  /** BatchNorm2d layer in training mode over two batches: y of the second, running stats after both. */
  batchNorm2d: {
    api: 'nn.BatchNorm2d',
    inputs: ['x1', 'x2', 'weight', 'bias'],
    run: (hc, t, a) => {
      const bn = new hc.nn.BatchNorm2d(t.x1!.shape[1]!, { ...(a.eps !== undefined ? { eps: a.eps } : {}), ...(a.momentum !== undefined ? { momentum: a.momentum } : {}), affine: !!t.weight });
      try {
        if (t.weight) bn.loadStateDict({ weight: t.weight, bias: t.bias! }, { strict: false });
        bn.train();
        const y1 = bn.forward(t.x1!);
        const y2 = bn.forward(t.x2!);
        return [y1, y2, copy(hc, bn.runningMean!), copy(hc, bn.runningVar!)];
      } finally {
        bn.dispose();
      }
    },
    reference: (v, a) => {
      const C = v.x1!.shape[1];
      const opts = { training: true, eps: a.eps, momentum: a.momentum };
      const r1 = R.batchNorm(v.x1!, fill([C], 0), fill([C], 1), v.weight, v.bias, opts);
      const r2 = R.batchNorm(v.x2!, r1.runningMean, r1.runningVar, v.weight, v.bias, opts);
      // second-call magnitudes: the first call's running-stat magnitudes carried through (1 − momentum)
      const mom = a.momentum ?? 0.1;
      const carry = (m2: F64, m1: F64) => ({ shape: m2.shape, data: m2.data.map((x, i) => x + (1 - mom) * m1.data[i]) });
      return [r1.y, r2.y, { ...r2.runningMean, magnitude: carry(r2.runningMean.magnitude, r1.runningMean.magnitude) }, { ...r2.runningVar, magnitude: carry(r2.runningVar.magnitude, r1.runningVar.magnitude) }];
    },
    onnx: () => 'ONNX BatchNormalization training_mode updates running_var with the biased batch variance; PyTorch and DESIGN §3 use the unbiased one',
  },

  /** hc.optim.adaptiveGradClip on named conv/linear weights and biases; outputs the clipped grads. */
  adaptiveGradClip: {
    api: 'optim.adaptiveGradClip',
    inputs: CLIP_INPUTS,
    run: (hc, t, a) => {
      const params = clipParams(hc, t);
      const exclude = !a.excludeClassifier ? undefined : a.excludeAs === 'list' ? params.filter(([n]) => n.startsWith('fc.')).map(([, p]) => p) : (name: string) => name.startsWith('fc.');
      hc.optim.adaptiveGradClip(params, { ...(a.clipping !== undefined ? { clipping: a.clipping } : {}), ...(a.eps !== undefined ? { eps: a.eps } : {}), ...(exclude ? { exclude } : {}) });
      return params.map(([, p]) => copy(hc, p.grad!));
    },
    reference: (v, a) =>
      CLIP_PARAMS.filter(([, w]) => v[w]).map(([name, w, g]) => {
        const clipped = a.excludeClassifier && name.startsWith('fc.') ? v[g]! : R.agc(v[w]!, v[g]!, { clipping: a.clipping, eps: a.eps });
        return withMag(clipped, R.absOf(v[g]!));
      }),
    onnx: () => 'an optimizer transform; ONNX has no such op',
    prepare: (v, shapes, a) => {
      // rescale each unit's gradient to a chosen ratio of its limit: some units clipped, some not, none at the kink
      const clipping = a.clipping ?? 0.01;
      const eps = a.eps ?? 1e-3;
      let u0 = a.phase ?? 0;
      for (const [, w, g] of CLIP_PARAMS) {
        if (!v[w]) continue;
        if (a.zero?.includes(w)) v[w].fill(0);
        const shape = shapes[w];
        const units = shape.length <= 1 ? 1 : shape[0];
        const per = v[w].length / units;
        for (let u = 0; u < units; u++, u0++) {
          let wn = 0;
          let gn = 0;
          for (let k = 0; k < per; k++) {
            wn += v[w][u * per + k] ** 2;
            gn += v[g][u * per + k] ** 2;
          }
          const target = AGC_RATIOS[u0 % AGC_RATIOS.length] * clipping * Math.max(Math.sqrt(wn), eps);
          const f = target / Math.sqrt(gn);
          for (let k = 0; k < per; k++) v[g][u * per + k] *= f;
        }
      }
    },
  },

  /** hc.optim.clipGradNorm: outputs the total norm before clipping, then the grads after. */
  clipGradNorm: {
    api: 'optim.clipGradNorm',
    inputs: CLIP_INPUTS,
    run: (hc, t, a) => {
      const params = clipParams(hc, t);
      const total = hc.optim.clipGradNorm(params, a.maxNorm);
      return [hc.reshape(total, [1]), ...params.map(([, p]) => copy(hc, p.grad!))];
    },
    reference: (v, a) => {
      const grads = CLIP_PARAMS.filter(([, w]) => v[w]).map(([, , g]) => v[g]!);
      let sq = 0;
      for (const g of grads) for (const e of g.data) sq += e * e;
      const total = Math.sqrt(sq);
      const coef = Math.min(1, a.maxNorm / (total + 1e-6));
      return [withMag(R.f64([1], [total]), total), ...grads.map((g) => withMag(R.map(g, (e) => e * coef), R.absOf(g)))];
    },
    onnx: () => 'an optimizer transform; ONNX has no such op',
    prepare: (v, _shapes, a) => {
      // scale every grad so the total norm is a.totalNorm (clipping on or off, never near the kink)
      let sq = 0;
      for (const [, w, g] of CLIP_PARAMS) if (v[w]) for (const e of v[g]) sq += e * e;
      const f = (a.totalNorm ?? 1) / Math.sqrt(sq);
      for (const [, w, g] of CLIP_PARAMS) if (v[w]) v[g].forEach((e, i) => (v[g][i] = e * f));
    },
  },

  /**
   * hc.optim.SGD over a.steps steps on a conv weight p and a bias q with given gradients per step
   * (gp[s], gq[s]); q has no gradient at step a.skipQ (PyTorch skips it: no update, buffer untouched).
   * Outputs: p, q, then the momentum buffers (with momentum).
   */
  sgd: {
    api: 'optim.SGD',
    inputs: ['p', 'q', 'gp', 'gq'],
    plainInputs: ['gp', 'gq'],
    run: (hc, t, a, plain) => {
      const p = t.p!;
      const q = t.q!;
      p.requiresGrad = true;
      q.requiresGrad = true;
      const opt = new hc.optim.SGD([p, q], a.sgd);
      try {
        for (let s = 0; s < a.steps; s++) {
          opt.zeroGrad();
          p.grad = hc.tensor(plain.gp.slice(s * p.size, (s + 1) * p.size), [...p.shape]).keep();
          if (s !== a.skipQ) q.grad = hc.tensor(plain.gq.slice(s * q.size, (s + 1) * q.size), [...q.shape]).keep();
          opt.step();
        }
        const outs = [copy(hc, p), copy(hc, q)];
        if (a.sgd.momentum) outs.push(copy(hc, opt.momentumBuffer(p)!), copy(hc, opt.momentumBuffer(q)!));
        return outs;
      } finally {
        opt.dispose();
      }
    },
    reference: (v, a) => {
      const state = [
        { x: v.p!, g: v.gp!, buf: undefined as F64 | undefined, m: R.absOf(v.p!), mb: undefined as F64 | undefined },
        { x: v.q!, g: v.gq!, buf: undefined as F64 | undefined, m: R.absOf(v.q!), mb: undefined as F64 | undefined },
      ];
      for (let s = 0; s < a.steps; s++)
        state.forEach((st, k) => {
          if (k === 1 && s === a.skipQ) return;
          const n = st.x.data.length;
          const g = R.f64(st.x.shape, st.g.data.subarray(s * n, (s + 1) * n));
          const r = R.sgdStep(st.x, g, st.buf, a.sgd);
          const m = R.sgdMagnitudeStep(st.m, st.mb, (i) => Math.abs(g.data[i]), a.sgd);
          Object.assign(st, { x: r.param, buf: r.buffer, m: m.magnitude, mb: m.buffer });
        });
      const outs: RefOut[] = state.map((st) => withMag(st.x, st.m));
      if (a.sgd.momentum) outs.push(...state.map((st) => withMag(st.buf!, st.mb!)));
      return outs;
    },
    onnx: () => 'an optimizer; ONNX has no such op',
  },

  /**
   * Gradient of a whole small network: every parameter's .grad after loss.backward() (outputs: the
   * loss, then the grads in namedParameters order) vs central finite differences of the float64
   * re-implementation of the same network (reference/network.ts).
   */
  networkGradient: {
    api: 'nn.Sequential',
    referenceKind: 'finite-difference',
    inputs: ['x', 'labels', ...NET_INPUTS],
    plainInputs: ['labels'],
    run: (hc, t, a, plain) => {
      const net = buildNet(hc, a.net, t);
      try {
        net.train();
        const loss = hc.crossEntropy(net.forward(t.x!), plain.labels);
        loss.backward();
        const grads = net.namedParameters().map(([name, p]) => {
          if (!p.grad) throw new Error(`no gradient for ${name}`);
          return copy(hc, p.grad);
        });
        return [copy(hc, loss), ...grads];
      } finally {
        net.dispose();
      }
    },
    reference: (v, a) => {
      const layers = NETS[a.net].layers;
      const params = v as Record<string, F64>;
      const labels = v.labels!.data;
      const base = R.netLoss(layers, params, v.x!, labels);
      const grads = R.fdGradients((p) => R.netLoss(layers, p, v.x!, labels), params, paramNames(a.net));
      // loss: cross-entropy of O(1) logits; its float32 rounding is relative to 1 + |loss|
      return [withMag(R.f64([], [base.loss]), 1 + Math.abs(base.loss)), ...paramNames(a.net).map((n) => withMag(grads[n], gradMag(grads[n], base.loss)))];
    },
    onnx: () => 'a training check (gradients of a whole network); float64 and finite differences only',
    prepare: prepareNet,
  },

  /**
   * A few SGD steps (optionally AGC before each) of a small conv net on fixed data; outputs the loss
   * of every step, the final parameters (namedParameters order) and batch norm's running statistics.
   */
  trainSteps: {
    api: 'optim.SGD',
    inputs: ['x', 'labels', ...NET_INPUTS],
    plainInputs: ['labels'],
    run: (hc, t, a, plain) => {
      const net = buildNet(hc, a.net, t);
      const opt = new hc.optim.SGD(net, a.sgd);
      try {
        net.train();
        const losses: Tensor[] = [];
        for (let s = 0; s < a.steps; s++) {
          net.zeroGrad();
          losses.push(
            hc.scope(() => {
              const loss = hc.crossEntropy(net.forward(t.x!), plain.labels);
              loss.backward();
              return copy(hc, loss);
            }),
          );
          if (a.agc) {
            const prefix = classifierPrefix(a.net);
            hc.optim.adaptiveGradClip(net, { ...a.agc.options, ...(a.agc.excludeClassifier ? { exclude: (name: string) => name.startsWith(prefix) } : {}) });
          }
          opt.step();
        }
        return [...losses, ...net.namedParameters().map(([, p]) => copy(hc, p)), ...net.namedBuffers().map(([, b]) => copy(hc, b))];
      } finally {
        opt.dispose();
        net.dispose();
      }
    },
    reference: (v, a) => {
      const layers = NETS[a.net].layers;
      const names = paramNames(a.net);
      const prefix = classifierPrefix(a.net);
      const r = R.trainReference(layers, v as Record<string, F64>, v.x!, v.labels!.data, {
        steps: a.steps,
        sgd: a.sgd,
        ...(a.agc ? { agc: { ...a.agc.options, exclude: a.agc.excludeClassifier ? names.filter((n) => n.startsWith(prefix)) : [] } } : {}),
      });
      if (a.agc && r.clipped === 0) throw new Error('trainSteps: AGC never clipped; choose a smaller clipping');
      const bufferNames = R.netParams(layers).filter((p) => p.kind === 'buffer').map((p) => p.name);
      return [
        ...r.losses.map((l) => withMag(R.f64([], [l]), 1 + Math.abs(l))),
        ...names.map((n) => withMag(r.params[n], r.magnitudes[n])),
        ...bufferNames.map((n) => {
          const b = r.buffers[n] as RefOut;
          return withMag(b, b.magnitude ?? R.absOf(b));
        }),
      ];
    },
    onnx: () => 'a training check (several optimizer steps); float64 only',
    prepare: prepareNet,
  },
};

function reduceOnnx(opType: 'ReduceSum' | 'ReduceMean', x: F64, a: Attrs) {
  const axes = a.axis === undefined ? undefined : typeof a.axis === 'number' ? [a.axis] : a.axis;
  return {
    node: {
      opType,
      inputs: [{ name: 'x', shape: x.shape }, ...(axes ? [{ name: 'axes', shape: [axes.length], dtype: 'int64' as const }] : [])],
      outputs: ['y'],
      attrs: { keepdims: a.keepDims ? 1 : 0 },
    },
    feeds: { x: x.data, ...(axes ? { axes } : {}) },
  };
}
