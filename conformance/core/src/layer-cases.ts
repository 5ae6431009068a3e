/**
 * Layer-sized random cases, added to the one table (cases.ts calls this with its `mk`): tens of
 * channels and maps of tens of pixels, where the fast backends leave their scalar edges and run their
 * tiled paths (channel blocks, pixel tiles, Winograd, the split over threads) with remainders. The
 * rest of the table is small on purpose (finite differences cost 4 reference calls per input element),
 * so these backward cases check a seeded sample of each gradient's elements (`fdSample`), its first
 * and last always among them.
 */
import fc from 'fast-check';
import { convFits, distinct, ints, normArb, poolFits, pos, u } from './arbitraries.js';
import type { Case, Draft, InputSpec } from './cases.js';

type Mk = (d: Draft) => Case;

/** Gradient elements checked per differentiable input of a layer-sized backward case. */
export const LAYER_FD_SAMPLE = 12;

const padArb = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
  fc.constantFrom('same' as const, 'valid' as const),
);

const convArb = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    layout: fc.constantFrom('dense', 'dense', 'grouped', 'depthwise'),
    ...ints({ groups: [2, 4], cPerGroup: [3, 24], oPerGroup: [3, 24], H: [6, 24], W: [6, 40], kh: [1, 5], kw: [1, 5], sh: [1, 2], sw: [1, 2], dh: [1, 2], dw: [1, 2] }),
    padding: padArb,
    convolution: fc.boolean(),
    bias: fc.boolean(),
    // half are the common layer, 3×3 stride 1 padding 1 (the one that takes Winograd where a backend has it)
    common: fc.boolean(),
  })
  .map((r) => {
    // depthwise: cPerGroup is the channel count, one or two filters per channel
    const [groups, cg, og] = r.layout === 'dense' ? [1, r.cPerGroup, r.oPerGroup] : r.layout === 'grouped' ? [r.groups, r.cPerGroup, r.oPerGroup] : [r.cPerGroup, 1, 1 + (r.oPerGroup % 2)];
    const common = r.common ? { kh: 3, kw: 3, sh: 1, sw: 1, dh: 1, dw: 1, padding: 1 as const } : {};
    return { ...r, ...common, groups, cg, og };
  })
  .filter(convFits);

/** Multiply-adds of a convolution case at stride 1 (an upper bound): what one float64 reference call costs. */
const convWork = (r: { N: number; groups: number; cg: number; og: number; H: number; W: number; kh: number; kw: number }) => r.N * r.groups * r.og * r.cg * r.H * r.W * r.kh * r.kw;

const poolArb = fc
  .record({
    ...ints({ N: [1, 2], C: [3, 24], H: [8, 40], W: [8, 40], kh: [2, 5], kw: [2, 5], sh: [1, 3], sw: [1, 3], ph: [0, 2], pw: [0, 2], d: [1, 2] }),
    ceilMode: fc.boolean(),
    countIncludePad: fc.boolean(),
  })
  .filter((r) => poolFits(r, r.d));

const norms = normArb({ N: [2, 4], C: [8, 48], H: [3, 16], W: [3, 20] });

export function layerSizedCases(mk: Mk, quick: boolean, seed: number): Case[] {
  const cases: Case[] = [];
  // noBias: fast-check's bias towards small values would make most of these the small cases again
  const sample = <T>(arb: fc.Arbitrary<T>, salt: number, count: number) => fc.sample(fc.noBias(arb), { seed: seed + 300 + salt, numRuns: count });
  const add = (op: string, kind: Case['kind'], i: number, salt: number, inputs: Record<string, InputSpec>, attrs: Record<string, unknown>) =>
    cases.push(mk({
      id: `${kind === 'backward' ? `${op}Backward` : op}/layer#${i}`, op, kind, inputs, attrs, seed: seed * 1000 + 5000 + salt * 50 + i,
      ...(kind === 'backward' ? { fdSample: LAYER_FD_SAMPLE } : {}),
    }));
  const convCase = (kind: Case['kind'], salt: number, count: number, maxWork: number) =>
    sample(convArb.filter((r) => convWork(r) <= maxWork), salt, count).forEach((r, i) => {
      const [C, O] = [r.groups * r.cg, r.groups * r.og];
      add('conv2d', kind, i, salt, { x: u(r.N, C, r.H, r.W), w: u(O, r.cg, r.kh, r.kw), ...(r.bias ? { b: u(O) } : {}) },
        { stride: [r.sh, r.sw], dilation: [r.dh, r.dw], padding: r.padding, groups: r.groups, mode: r.convolution ? 'convolution' : 'correlation' });
    });
  const conv1dCase = (kind: Case['kind'], salt: number, count: number, maxWork: number) =>
    sample(convArb.filter((r) => typeof r.padding !== 'object' && r.W * 4 + (typeof r.padding === 'number' ? 2 * r.padding : 0) >= r.dw * (r.kw - 1) + 1 && convWork({ ...r, H: 4, kh: 1 }) <= maxWork), salt, count).forEach((r, i) => {
      const [C, O] = [r.groups * r.cg, r.groups * r.og];
      add('conv1d', kind, i, salt, { x: u(r.N, C, r.W * 4), w: u(O, r.cg, r.kw), ...(r.bias ? { b: u(O) } : {}) },
        { stride: r.sw, dilation: r.dw, padding: r.padding, groups: r.groups, mode: r.convolution ? 'convolution' : 'correlation' });
    });
  const poolCase = (op: 'maxPool2d' | 'avgPool2d', kind: Case['kind'], salt: number, count: number) =>
    sample(poolArb.filter((r) => op === 'maxPool2d' || r.d === 1), salt, count).forEach((r, i) => {
      const common = { kernelSize: [r.kh, r.kw], stride: [r.sh, r.sw], padding: [r.ph, r.pw], ceilMode: r.ceilMode };
      if (op === 'maxPool2d') add(op, kind, i, salt, { x: distinct(r.N, r.C, r.H, r.W) }, { ...common, dilation: r.d });
      else add(op, kind, i, salt, { x: u(r.N, r.C, r.H, r.W) }, { ...common, countIncludePad: r.countIncludePad });
    });
  const normCases = (kind: Case['kind'], salt: number, count: number, maxSize: number) =>
    sample(norms.filter((r) => r.N * r.C * r.H * r.W <= maxSize), salt, count).forEach((r, i) => {
      const x = u(r.N, r.C, r.H, r.W);
      const aff: Record<string, InputSpec> = r.affine ? { weight: u(r.C), bias: u(r.C) } : {};
      const divisors = Array.from({ length: r.C }, (_, k) => k + 1).filter((g) => r.C % g === 0 && g > 1 && g < r.C);
      const ln = [[r.W], [r.H, r.W], [r.C, r.H, r.W]][r.pick % 3];
      if (kind === 'forward') add('globalAvgPool2d', kind, i, salt, { x }, {});
      add('batchNorm', kind, i, salt + 1, { x, runningMean: u(r.C), runningVar: pos(r.C), ...aff }, { training: kind === 'backward' || i % 2 === 0, eps: r.eps });
      add('layerNorm', kind, i, salt + 2, { x, ...(r.affine ? { weight: u(...ln), bias: u(...ln) } : {}) }, { normalizedShape: ln, eps: r.eps });
      add('instanceNorm', kind, i, salt + 3, { x, ...aff }, { eps: r.eps });
      add('groupNorm', kind, i, salt + 4, { x, ...aff }, { numGroups: divisors.length ? divisors[r.pick % divisors.length] : 1, eps: r.eps });
      add('frn', kind, i, salt + 5, { x, ...aff }, { eps: r.eps });
    });

  const n = quick ? 1 : 2;
  convCase('forward', 1, 2 * n, 4e6);
  conv1dCase('forward', 2, n, 4e6);
  poolCase('maxPool2d', 'forward', 3, n);
  poolCase('avgPool2d', 'forward', 4, n);
  normCases('forward', 5, n, Infinity);
  convCase('backward', 11, n, 6e5);
  conv1dCase('backward', 12, 1, 6e5);
  poolCase('maxPool2d', 'backward', 13, 1);
  poolCase('avgPool2d', 'backward', 14, 1);
  normCases('backward', 15, 1, 8000);
  return cases;
}
