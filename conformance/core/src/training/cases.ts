/**
 * Case families of the training checks, added to the one table (cases.ts calls these with its `mk`):
 * - randomised (seeded fast-check) finite-difference backward cases for every differentiable op;
 * - add / mul (broadcasting) / sum / mean, forward and backward;
 * - BatchNorm2d training over two batches (running statistics), module-level fuseConvBatchNorm,
 *   adaptiveGradClip, clipGradNorm, SGD over several steps, whole-network gradients, and a few
 *   training steps (SGD, SGD + AGC) against a float64 re-computation.
 */
import fc from 'fast-check';
import { distinct, ints, normArb, poolFits, pos, u } from '../arbitraries.js';
import type { Case, Draft, InputSpec } from '../cases.js';
import { netParams } from '../reference/network.js';
import { NETS } from './nets.js';

type Mk = (d: Draft) => Case;

const labels = (n: number, k: number): InputSpec => ({ shape: [n], gen: { labels: k } });
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

// ------------------------------------------------------------------ arbitraries (small: FD costs 2 reference calls per input element)

const conv1dArb = fc
  .record({
    ...ints({ N: [1, 2], groups: [1, 3], cg: [1, 2], og: [1, 2], L: [1, 10], k: [1, 4], s: [1, 3], d: [1, 2] }),
    padding: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), fc.constantFrom('same' as const, 'valid' as const)),
    convolution: fc.boolean(),
    bias: fc.boolean(),
  })
  .filter((r) => {
    const [l, rr] = r.padding === 'same' ? [0, r.L] : r.padding === 'valid' ? [0, 0] : typeof r.padding === 'number' ? [r.padding, r.padding] : r.padding;
    return r.padding === 'same' || r.L + l + rr >= r.d * (r.k - 1) + 1;
  });

const pool2dArb = fc
  .record({
    ...ints({ N: [1, 2], C: [1, 2], H: [1, 7], W: [1, 7], kh: [1, 3], kw: [1, 3], sh: [1, 3], sw: [1, 3], ph: [0, 1], pw: [0, 1], d: [1, 2] }),
    ceilMode: fc.boolean(),
    countIncludePad: fc.boolean(),
  });

const norms = normArb({ N: [1, 3], C: [1, 4], H: [1, 4], W: [1, 5] });
// batch statistics over fewer than 3 values are ill-conditioned for a 1e-4 FD step; keep the blocks ≥ 3
const bnFits = (r: { N: number; H: number; W: number }) => r.N * r.H * r.W >= 3;

/** Two shapes that broadcast: each axis of a base shape is kept or set to 1 per operand; leading axes may be dropped. */
const broadcastArb = fc
  .record({
    base: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    oneA: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    oneB: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    dropA: fc.integer({ min: 0, max: 3 }),
    dropB: fc.integer({ min: 0, max: 3 }),
  })
  .map((r) => {
    const a = r.base.map((s, i) => (r.oneA[i] ? 1 : s)).slice(Math.min(r.dropA, r.base.length - 1));
    const b = r.base.map((s, i) => (r.oneB[i] && !r.oneA[i] ? 1 : s)).slice(Math.min(r.dropB, r.base.length - 1));
    return { a, b };
  });

const reduceArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
    axisKind: fc.constantFrom('all', 'one', 'negative', 'list'),
    pick: fc.integer({ min: 0, max: 1000 }),
    keepDims: fc.boolean(),
  })
  .map((r) => {
    const rank = r.shape.length;
    const axis =
      r.axisKind === 'all' ? undefined
      : r.axisKind === 'one' ? r.pick % rank
      : r.axisKind === 'negative' ? -1 - (r.pick % rank)
      : [...new Set([r.pick % rank, (r.pick >> 2) % rank])].sort();
    return { shape: r.shape, axis, keepDims: r.keepDims };
  });

// ------------------------------------------------------------------ randomised backward cases for every differentiable op

export function randomBackwardCases(mk: Mk, count: number, seed: number): Case[] {
  const cases: Case[] = [];
  const sample = <T>(arb: fc.Arbitrary<T>, salt: number) => fc.sample(arb, { seed: seed + 100 + salt, numRuns: count });
  const B = (op: string, i: number, salt: number, inputs: Record<string, InputSpec>, attrs: Record<string, unknown> = {}) =>
    cases.push(mk({ id: `${op}Backward/random#${i}`, op, kind: 'backward', inputs, attrs, seed: seed * 1000 + 2000 + salt * 50 + i }));

  sample(conv1dArb, 1).forEach((r, i) => {
    const C = r.groups * r.cg;
    const O = r.groups * r.og;
    B('conv1d', i, 1, { x: u(r.N, C, r.L), w: u(O, r.cg, r.k), ...(r.bias ? { b: u(O) } : {}) }, { stride: r.s, dilation: r.d, padding: r.padding, groups: r.groups, mode: r.convolution ? 'convolution' : 'correlation' });
  });
  // max pools: 'distinct' values (no ties, neighbours ≥ 2/n apart ≫ the FD step)
  sample(pool2dArb.filter((r) => poolFits(r, r.d)), 2).forEach((r, i) => {
    B('maxPool2d', i, 2, { x: distinct(r.N, r.C, r.H, r.W) }, { kernelSize: [r.kh, r.kw], stride: [r.sh, r.sw], padding: [r.ph, r.pw], dilation: r.d, ceilMode: r.ceilMode });
  });
  sample(pool2dArb.filter((r) => poolFits(r, 1)), 3).forEach((r, i) => {
    B('avgPool2d', i, 3, { x: u(r.N, r.C, r.H, r.W) }, { kernelSize: [r.kh, r.kw], stride: [r.sh, r.sw], padding: [r.ph, r.pw], ceilMode: r.ceilMode, countIncludePad: r.countIncludePad });
  });
  sample(pool2dArb.filter((r) => poolFits(r, r.d)), 4).forEach((r, i) => {
    const max = i % 2 === 0;
    B(max ? 'maxPool1d' : 'avgPool1d', i, 4, { x: max ? distinct(r.N, r.C, r.W) : u(r.N, r.C, r.W) },
      max ? { kernelSize: r.kw, stride: r.sw, padding: r.pw, dilation: r.d, ceilMode: r.ceilMode } : { kernelSize: r.kw, stride: r.sw, padding: r.pw, ceilMode: r.ceilMode, countIncludePad: r.countIncludePad });
  });
  sample(norms, 5).forEach((r, i) => {
    const x = u(r.N, r.C, r.H, r.W);
    const aff: Record<string, InputSpec> = r.affine ? { weight: u(r.C), bias: u(r.C) } : {};
    const bnAff = { weight: u(r.C), bias: u(r.C) };
    const divisors = Array.from({ length: r.C }, (_, k) => k + 1).filter((g) => r.C % g === 0);
    const lnShapes = [[r.W], [r.H, r.W], [r.C, r.H, r.W]];
    const ln = lnShapes[r.pick % 3];
    B('globalAvgPool2d', i, 5, { x });
    if (bnFits(r)) {
      B('batchNorm', i, 6, { x, runningMean: u(r.C), runningVar: pos(r.C), ...(r.affine ? bnAff : {}) }, { training: true, eps: r.eps, momentum: 0.1 });
      // rMax/dMax: from always clipped (1.05, 0.05) to never (100)
      const [rMax, dMax] = [[1.05, 0.05], [1.5, 0.5], [100, 100]][r.pick % 3];
      B('batchRenorm', i, 7, { x, runningMean: u(r.C), runningVar: pos(r.C), ...bnAff }, { training: true, eps: r.eps, rMax, dMax });
    }
    if (numel(ln) >= 3) B('layerNorm', i, 8, { x, ...(r.affine ? { weight: u(...ln), bias: u(...ln) } : {}) }, { normalizedShape: ln, eps: r.eps });
    if (r.H * r.W >= 3) B('instanceNorm', i, 9, { x, ...aff }, { eps: r.eps });
    const g = divisors[r.pick % divisors.length];
    if ((r.C / g) * r.H * r.W >= 3) B('groupNorm', i, 10, { x, ...aff }, { numGroups: g, eps: r.eps });
    // learnable eps: a [1] input away from its kink at 0 (|eps| in the definition)
    const eps = (r.pick % 2 ? -1 : 1) * (0.02 + (r.pick % 97) / 400);
    B('frn', i, 11, { x, ...aff, eps: { shape: [1], values: [eps] } });
    B('tlu', i, 12, { x, tau: u(r.C) });
    B('relu', i, 13, { x });
    B('linear', i, 14, { x: u(r.N, r.H * r.W), w: u(r.C, r.H * r.W), ...(r.affine ? { b: u(r.C) } : {}) });
    B('softmax', i, 15, { x }, { dim: (r.pick % 8) - 4 });
    B('logSoftmax', i, 16, { x }, { dim: ((r.pick >> 3) % 8) - 4 });
    B('crossEntropy', i, 17, { logits: u(r.N * r.H, r.C + 1), labels: labels(r.N * r.H, r.C + 1) });
  });
  sample(broadcastArb, 18).forEach((r, i) => {
    B('add', i, 18, { a: u(...r.a), b: u(...r.b) });
    B('mul', i, 19, { a: u(...r.b), b: u(...r.a) });
  });
  sample(reduceArb, 20).forEach((r, i) => {
    B('sum', i, 20, { x: u(...r.shape) }, { axis: r.axis, keepDims: r.keepDims });
    B('mean', i, 21, { x: u(...r.shape) }, { axis: r.axis, keepDims: r.keepDims });
  });
  return cases;
}

// ------------------------------------------------------------------ add, mul, sum, mean: fixed forward and backward, random forward

export function elementwiseCases(mk: Mk, count: number, seed: number): Case[] {
  const F = (id: string, op: string, inputs: Record<string, InputSpec>, attrs: Record<string, unknown> = {}) => mk({ id: `${op}/${id}`, op, inputs, attrs });
  const Bk = (id: string, op: string, inputs: Record<string, InputSpec>, attrs: Record<string, unknown> = {}) => mk({ id: `${op}Backward/${id}`, op, kind: 'backward', inputs, attrs });
  const cases = [
    F('same-shape', 'add', { a: u(2, 3, 4), b: u(2, 3, 4) }),
    F('bias-over-nchw', 'add', { a: u(2, 3, 4, 4), b: u(3, 1, 1) }),
    F('both-broadcast', 'add', { a: u(3, 1, 5), b: u(4, 1) }),
    F('scalar-like', 'add', { a: u(1), b: u(2, 3) }),
    F('same-shape', 'mul', { a: u(4, 5), b: u(4, 5) }),
    F('channel-scale', 'mul', { a: u(2, 3, 3, 3), b: u(1, 3, 1, 1) }),
    F('outer-product', 'mul', { a: u(5, 1), b: u(1, 6) }),
    F('bias-over-nchw', 'sub', { a: u(2, 3, 4, 4), b: u(3, 1, 1) }),
    F('both-broadcast', 'sub', { a: u(3, 1, 5), b: u(4, 1) }),
    F('channel-scale', 'div', { a: u(2, 3, 3, 3), b: pos(1, 3, 1, 1) }),
    F('same-shape', 'div', { a: u(4, 5), b: pos(4, 5) }),
    F('outer', 'maximum', { a: u(5, 1), b: u(1, 6) }),
    F('same-shape', 'minimum', { a: u(3, 4), b: u(3, 4) }),
    F('scalar-like', 'minimum', { a: u(1), b: u(2, 3) }),
    F('all', 'sum', { x: u(2, 3, 4) }),
    F('axis1', 'sum', { x: u(2, 3, 4) }, { axis: 1 }),
    F('axes-0-2-keepdims', 'sum', { x: u(2, 3, 4, 2) }, { axis: [0, 2], keepDims: true }),
    F('negative-axis', 'sum', { x: u(3, 5) }, { axis: -1 }),
    F('wide-row-1000', 'sum', { x: u(2, 1000) }, { axis: 1 }),
    F('all', 'mean', { x: u(2, 3, 4) }),
    F('spatial-keepdims', 'mean', { x: u(2, 3, 4, 5) }, { axis: [2, 3], keepDims: true }),
    F('axis0', 'mean', { x: u(6, 2) }, { axis: 0 }),
    Bk('bias-over-nchw', 'add', { a: u(2, 3, 2, 2), b: u(3, 1, 1) }),
    Bk('both-broadcast', 'mul', { a: u(3, 1, 4), b: u(2, 1) }),
    Bk('axes-keepdims', 'sum', { x: u(2, 3, 4) }, { axis: [0, 2], keepDims: true }),
    Bk('all', 'mean', { x: u(3, 4) }),
  ];
  fc.sample(broadcastArb, { seed: seed + 31, numRuns: count }).forEach((r, i) => {
    cases.push(mk({ id: `add/random#${i}`, op: 'add', inputs: { a: u(...r.a), b: u(...r.b) }, attrs: {}, seed: seed * 1000 + 3000 + i }));
    cases.push(mk({ id: `mul/random#${i}`, op: 'mul', inputs: { a: u(...r.b), b: u(...r.a) }, attrs: {}, seed: seed * 1000 + 3100 + i }));
  });
  fc.sample(reduceArb, { seed: seed + 32, numRuns: count }).forEach((r, i) => {
    cases.push(mk({ id: `sum/random#${i}`, op: 'sum', inputs: { x: u(...r.shape) }, attrs: { axis: r.axis, keepDims: r.keepDims }, seed: seed * 1000 + 3200 + i }));
    cases.push(mk({ id: `mean/random#${i}`, op: 'mean', inputs: { x: u(...r.shape) }, attrs: { axis: r.axis, keepDims: r.keepDims }, seed: seed * 1000 + 3300 + i }));
  });
  return cases;
}

// ------------------------------------------------------------------ training checks

/** Inputs of a network case: data, labels and every parameter (buffers keep their defaults: zeros / ones). */
function netInputs(net: string): Record<string, InputSpec> {
  const n = NETS[net];
  const inputs: Record<string, InputSpec> = { x: u(...n.input), labels: labels(n.input[0], n.classes) };
  for (const p of netParams(n.layers)) if (p.kind === 'param') inputs[p.name] = u(...p.shape);
  return inputs;
}

const CLIP_SHAPES = { convW: [4, 3, 3, 3], convB: [4], linW: [5, 12], linB: [5] } as const;
function clipInputs(only?: (keyof typeof CLIP_SHAPES)[]): Record<string, InputSpec> {
  const grads: Record<string, string> = { convW: 'convG', convB: 'convBG', linW: 'linG', linB: 'linBG' };
  const out: Record<string, InputSpec> = {};
  for (const [k, s] of Object.entries(CLIP_SHAPES)) {
    if (only && !only.includes(k as keyof typeof CLIP_SHAPES)) continue;
    out[k] = u(...s);
    out[grads[k]] = u(...s);
  }
  return out;
}

export function trainingCases(mk: Mk, quick: boolean): Case[] {
  const C = (op: string, id: string, inputs: Record<string, InputSpec>, attrs: Record<string, unknown>, extra: Partial<Draft> = {}) => mk({ id: `${op}/${id}`, op, inputs, attrs, ...extra });
  const steps = 4;
  const sgdIn = (extraSteps = steps) => ({ p: u(3, 2, 3, 3), q: u(3), gp: u(extraSteps, 3, 2, 3, 3), gq: u(extraSteps, 3) });
  const fuse = (x: number[], w: number[], bias: boolean, affine: boolean) => ({
    x: u(...x),
    w: u(...w),
    ...(bias ? { b: u(w[0]) } : {}),
    runningMean: u(w[0]),
    runningVar: pos(w[0]),
    ...(affine ? { gamma: u(w[0]), beta: u(w[0]) } : {}),
  });
  const cases = [
    // BatchNorm2d layer, training mode, two batches: y and the running stats (momentum, unbiased var) vs float64
    C('batchNorm2d', 'training-two-batches', { x1: u(4, 3, 5, 5), x2: { shape: [4, 3, 5, 5], gen: 'positive' }, weight: u(3), bias: u(3) }, {}),
    C('batchNorm2d', 'momentum0.3-no-affine', { x1: u(2, 2, 3, 3), x2: u(2, 2, 3, 3) }, { momentum: 0.3, eps: 1e-3 }),
    C('batchNorm2d', 'batch1', { x1: u(1, 3, 4, 4), x2: u(1, 3, 4, 4), weight: u(3), bias: u(3) }, {}),

    // fuseConvBatchNorm (module): fused conv output vs the unfused conv → BN(eval) pair
    C('fuseConvBatchNorm', 'module-stride2-bias', fuse([2, 3, 7, 7], [4, 3, 3, 3], true, true), { conv: { stride: 2, padding: 1 } }),
    C('fuseConvBatchNorm', 'module-groups-no-bias', fuse([1, 4, 6, 5], [6, 2, 3, 3], false, true), { conv: { groups: 2, padding: [1, 2] }, eps: 1e-3 }),
    C('fuseConvBatchNorm', 'module-depthwise-true-convolution', fuse([2, 3, 5, 6], [3, 1, 3, 2], true, true), { conv: { groups: 3, mode: 'convolution', padding: 'same' } }),
    C('fuseConvBatchNorm', 'module-dilated-no-affine', fuse([1, 2, 8, 8], [3, 2, 3, 3], true, false), { conv: { dilation: 2, padding: 2, stride: [1, 2] } }),
    C('fuseConvBatchNorm', 'module-pointwise-asym-pad-stride3', fuse([2, 5, 7, 7], [4, 5, 1, 1], false, true), { conv: { stride: 3, padding: [0, 1, 1, 0] } }),

    // AGC through hc.optim.adaptiveGradClip (named params: conv.weight, conv.bias, fc.weight, fc.bias)
    C('adaptiveGradClip', 'conv-linear-biases-default', clipInputs(), {}),
    C('adaptiveGradClip', 'exclude-classifier-predicate', clipInputs(), { clipping: 0.05, excludeClassifier: true, phase: 1 }),
    C('adaptiveGradClip', 'exclude-classifier-list', clipInputs(), { clipping: 0.1, eps: 1e-2, excludeClassifier: true, excludeAs: 'list', phase: 3 }),
    C('adaptiveGradClip', 'zero-init-weights-eps-floor', clipInputs(), { clipping: 0.02, eps: 1e-3, zero: ['linW', 'convB'], phase: 2 }),
    C('adaptiveGradClip', 'conv-only', clipInputs(['convW', 'convB']), { clipping: 0.2, phase: 4 }),

    // clipGradNorm: total norm (before) and the grads after, clipping active or not
    C('clipGradNorm', 'clipped', clipInputs(), { totalNorm: 1, maxNorm: 0.5 }),
    C('clipGradNorm', 'not-clipped', clipInputs(), { totalNorm: 1, maxNorm: 2 }),
    C('clipGradNorm', 'single-tensor-large', clipInputs(['linW']), { totalNorm: 30, maxNorm: 1 }),

    // SGD over several steps (PyTorch rule) vs float64
    C('sgd', 'plain', sgdIn(), { steps, sgd: { lr: 0.1 } }),
    C('sgd', 'momentum', sgdIn(), { steps, sgd: { lr: 0.05, momentum: 0.9 } }),
    C('sgd', 'nesterov-weight-decay', sgdIn(), { steps, sgd: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 } }),
    C('sgd', 'dampening-weight-decay', sgdIn(), { steps, sgd: { lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.05 } }),
    C('sgd', 'missing-grad-skips-param', sgdIn(), { steps, skipQ: 1, sgd: { lr: 0.1, momentum: 0.5, weightDecay: 0.1 } }),

    // whole-network gradients vs central differences of the float64 network
    C('networkGradient', 'conv-bn-relu-maxpool-linear-ce', netInputs('cnn'), { net: 'cnn' }),
    C('networkGradient', 'nf-block-wsconv-residual', netInputs('nf'), { net: 'nf' }),
  ];
  if (!quick) cases.push(C('networkGradient', 'strided-grouped-true-convolution', netInputs('cnnStrided'), { net: 'cnnStrided' }));

  // A few training steps vs the float64 re-computation (forward, FD gradients, AGC, SGD in float64).
  // Tolerance: DESIGN §3's bound, no looser, with m grown step by step: the reference runs the SGD rule on
  // magnitudes (m ← m + lr·step(max|g| + wd·m), momentum included; reference/network.ts), so m adds
  // each step's gradient scale, the size of that step's float32 gradient error (the backward bound is
  // 1e-5·max|g|). Errors fed back through the loss curvature (Δp_{s+1} ≈ (1 + lr·H)·Δp_s) and through
  // batch norm's 1/σ_B are not in m; with lr·|H| ≲ 1 over 3–5 steps they stay far inside the bound
  // (worst ratio measured on cpu: 4e-3). Longer runs would need a growth factor: keep steps ≤ 5.
  cases.push(
    C('trainSteps', 'sgd-momentum-weight-decay', netInputs('train'), { net: 'train', steps, sgd: { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 } }),
    C('trainSteps', 'sgd-agc-exclude-classifier', netInputs('train'), { net: 'train', steps, sgd: { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 }, agc: { options: { clipping: 0.02 }, excludeClassifier: true } }),
  );
  if (!quick)
    cases.push(
      C('trainSteps', 'nesterov-5-steps', netInputs('train'), { net: 'train', steps: 5, sgd: { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 } }),
      C('trainSteps', 'agc-all-layers-dampening', netInputs('train'), { net: 'train', steps: 3, sgd: { lr: 0.1, momentum: 0.8, dampening: 0.1 }, agc: { options: { clipping: 0.05, eps: 1e-3 }, excludeClassifier: false } }),
    );
  return cases;
}
