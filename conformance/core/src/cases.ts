/**
 * The case table, as data: op, input shapes (and how values are drawn), attributes, seed, the
 * references each case is held to and any tolerance override (with its reason); the kernels a case
 * runs are traced when it runs, never declared. Fixed cases first (textbook examples, edge cases), then seeded randomised cases drawn
 * with fast-check. One table runs on every backend.
 */
import fc from 'fast-check';
import { convFits, distinct, ints, poolFits, pos, u } from './arbitraries.js';
import { type Attrs, OPS } from './ops.js';
import { layerSizedCases } from './layer-cases.js';
import { elementwiseCases, randomBackwardCases, trainingCases } from './training/cases.js';

export type ReferenceKind = 'float64' | 'onnxruntime' | 'finite-difference';

/** How input values are drawn (seeded): see values.ts. */
export type Gen = 'uniform' | 'positive' | 'distinct' | 'nonzero' | { labels: number };

export interface InputSpec {
  shape: number[];
  gen?: Gen;
  /** Fixed values (textbook cases); otherwise drawn from the case seed. */
  values?: number[];
}

export interface Case {
  /** Unique in the table, e.g. "conv2d/stride2-same-odd" or "conv2d/random#3". */
  id: string;
  /** Public op (an entry of OPS). */
  op: string;
  /** forward: outputs vs float64 (and ONNX Runtime); backward: every input's .grad vs finite differences. */
  kind: 'forward' | 'backward';
  inputs: Record<string, InputSpec>;
  attrs: Attrs;
  seed: number;
  references: ReferenceKind[];
  /** Why ONNX Runtime is not a reference for this case ('float64 only'). */
  float64Only?: string;
  /**
   * Backward cases: finite differences at this many seeded elements of each differentiable input
   * (its first and last among them) instead of at all of them (layer-sized cases, layer-cases.ts).
   */
  fdSample?: number;
  /** A bound looser than DESIGN §3, with its reason. */
  tolerance?: { atolScale?: number; rtol?: number; reason: string };
  /** Hand-computed expectations (textbook cases), asserted exactly. */
  expected?: { values?: number[]; shape?: number[]; note: string };
}

/** Name of the op row a case lands in: "conv2d" or "conv2dBackward". */
export const rowOf = (c: Case): string => (c.kind === 'backward' ? `${c.op}Backward` : c.op);

export type Draft = Omit<Case, 'references' | 'seed' | 'kind'> & { seed?: number; kind?: Case['kind'] };

let seedCounter = 1;
function mk(d: Draft): Case {
  const spec = OPS[d.op];
  if (!spec) throw new Error(`cases: unknown op ${d.op}`);
  const kind = d.kind ?? 'forward';
  let float64Only = d.float64Only;
  if (kind === 'forward' && !float64Only && spec.onnx) {
    const probe = spec.onnx(Object.fromEntries(Object.entries(d.inputs).map(([n, s]) => [n, { shape: s.shape, data: new Float64Array(s.shape.reduce((a, b) => a * b, 1)) }])), d.attrs);
    if (typeof probe === 'string') float64Only = probe;
  } else if (kind === 'forward' && !spec.onnx) float64Only ??= 'no ONNX equivalent';
  const references: ReferenceKind[] = kind === 'backward' || spec.referenceKind === 'finite-difference' ? ['finite-difference'] : float64Only ? ['float64'] : ['float64', 'onnxruntime'];
  return { ...d, kind, seed: d.seed ?? seedCounter++, references, ...(float64Only ? { float64Only } : {}) };
}


// ---------------------------------------------------------------------------------------------
// textbook cases

/**
 * (a) 3×3 input ∗ 2×2 kernel, no padding, stride 1 → 2×2.
 *   x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]]
 * correlation (w as is):
 *   y00 = 1·1 + 2·2 + 4·3 + 5·4 = 1 + 4 + 12 + 20 = 37
 *   y01 = 2·1 + 3·2 + 5·3 + 6·4 = 2 + 6 + 15 + 24 = 47
 *   y10 = 4·1 + 5·2 + 7·3 + 8·4 = 4 + 10 + 21 + 32 = 67
 *   y11 = 5·1 + 6·2 + 8·3 + 9·4 = 5 + 12 + 24 + 36 = 77
 * true convolution (w flipped in both axes: [[4,3],[2,1]]):
 *   y00 = 1·4 + 2·3 + 4·2 + 5·1 = 4 + 6 + 8 + 5 = 23
 *   y01 = 2·4 + 3·3 + 5·2 + 6·1 = 8 + 9 + 10 + 6 = 33
 *   y10 = 4·4 + 5·3 + 7·2 + 8·1 = 16 + 15 + 14 + 8 = 53
 *   y11 = 5·4 + 6·3 + 8·2 + 9·1 = 20 + 18 + 16 + 9 = 63
 */
export const TEXTBOOK_X = [1, 2, 3, 4, 5, 6, 7, 8, 9];
export const TEXTBOOK_W = [1, 2, 3, 4];
export const TEXTBOOK_CORRELATION = [37, 47, 67, 77];
export const TEXTBOOK_CONVOLUTION = [23, 33, 53, 63];

/**
 * (b) Edge detection: a 6×6 image, columns 0–2 dark (0), columns 3–5 bright (1), correlated with the
 * vertical-edge kernel [[1,0,−1],[1,0,−1],[1,0,−1]] ('valid') → 4×4. Output column j sees input
 * columns j..j+2: y = 3·(x[j] − x[j+2]) = 3·(0−0), 3·(0−1), 3·(0−1), 3·(1−1) = 0, −3, −3, 0 on every
 * row: the response is at the two columns straddling the edge only.
 */
export const EDGE_IMAGE = Array.from({ length: 36 }, (_, i) => (i % 6 >= 3 ? 1 : 0));
export const EDGE_KERNEL = [1, 0, -1, 1, 0, -1, 1, 0, -1];
export const EDGE_RESPONSE = Array.from({ length: 16 }, (_, i) => [0, -3, -3, 0][i % 4]);

/** (c) The seed's output-size formula floor((x − f + 2p + s)/s), independent of DESIGN's form. */
export const seedOutputSize = (x: number, f: number, p: number, s: number): number => Math.floor((x - f + 2 * p + s) / s);

function textbookCases(): Case[] {
  const cases: Case[] = [
    mk({
      id: 'conv2d/textbook-3x3*2x2-correlation',
      op: 'conv2d',
      inputs: { x: { shape: [1, 1, 3, 3], values: TEXTBOOK_X }, w: { shape: [1, 1, 2, 2], values: TEXTBOOK_W } },
      attrs: {},
      expected: { values: TEXTBOOK_CORRELATION, shape: [1, 1, 2, 2], note: 'hand-computed, see cases.ts (a)' },
    }),
    mk({
      id: 'conv2d/textbook-3x3*2x2-convolution',
      op: 'conv2d',
      inputs: { x: { shape: [1, 1, 3, 3], values: TEXTBOOK_X }, w: { shape: [1, 1, 2, 2], values: TEXTBOOK_W } },
      attrs: { mode: 'convolution' },
      expected: { values: TEXTBOOK_CONVOLUTION, shape: [1, 1, 2, 2], note: 'hand-computed, see cases.ts (a)' },
    }),
    mk({
      id: 'conv2d/textbook-vertical-edge',
      op: 'conv2d',
      inputs: { x: { shape: [1, 1, 6, 6], values: EDGE_IMAGE }, w: { shape: [1, 1, 3, 3], values: EDGE_KERNEL } },
      attrs: {},
      expected: { values: EDGE_RESPONSE, shape: [1, 1, 4, 4], note: 'hand-computed, see cases.ts (b)' },
    }),
  ];
  // (c) output size grid, checked on the real output shapes
  for (const x of [4, 5, 7])
    for (const f of [1, 2, 3])
      for (const p of [0, 1])
        for (const s of [1, 2, 3]) {
          const o = seedOutputSize(x, f, p, s);
          cases.push(
            mk({
              id: `conv2d/output-size-x${x}-f${f}-p${p}-s${s}`,
              op: 'conv2d',
              inputs: { x: u(1, 1, x, x), w: u(1, 1, f, f) },
              attrs: { stride: s, padding: p },
              expected: { shape: [1, 1, o, o], note: 'floor((x − f + 2p + s)/s)' },
            }),
          );
        }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// fixed forward cases

function fixedForward(): Case[] {
  const C = (id: string, op: string, inputs: Record<string, InputSpec>, attrs: Attrs = {}, extra: Partial<Draft> = {}) => mk({ id: `${op}/${id}`, op, inputs, attrs, ...extra });
  const bn = (N: number, Cc: number, H: number, W: number, affine = true) => ({
    x: u(N, Cc, H, W),
    runningMean: u(Cc),
    runningVar: pos(Cc),
    ...(affine ? { weight: u(Cc), bias: u(Cc) } : {}),
  });
  return [
    C('basic-3x3-p1-bias', 'conv2d', { x: u(2, 3, 8, 8), w: u(4, 3, 3, 3), b: u(4) }, { padding: 1 }),
    C('stride2-same-odd', 'conv2d', { x: u(1, 2, 7, 9), w: u(3, 2, 3, 3), b: u(3) }, { stride: 2, padding: 'same' }),
    C('stride3-same-even-k4', 'conv2d', { x: u(1, 2, 8, 10), w: u(2, 2, 4, 4) }, { stride: 3, padding: 'same' }),
    C('asymmetric-pad', 'conv2d', { x: u(2, 2, 5, 6), w: u(3, 2, 3, 2), b: u(3) }, { padding: [2, 0, 1, 3] }),
    C('pad-hw-pair', 'conv2d', { x: u(1, 3, 6, 5), w: u(2, 3, 3, 3) }, { padding: [1, 2] }),
    C('valid', 'conv2d', { x: u(1, 2, 6, 6), w: u(2, 2, 3, 3) }, { padding: 'valid' }),
    C('dilation2-p2', 'conv2d', { x: u(1, 2, 9, 9), w: u(3, 2, 3, 3), b: u(3) }, { dilation: 2, padding: 2 }),
    C('dilation-same-stride2', 'conv2d', { x: u(1, 2, 10, 7), w: u(2, 2, 3, 3) }, { dilation: [2, 3], stride: 2, padding: 'same' }),
    C('groups2', 'conv2d', { x: u(2, 4, 6, 6), w: u(6, 2, 3, 3), b: u(6) }, { groups: 2, padding: 1 }),
    C('depthwise', 'conv2d', { x: u(1, 5, 7, 7), w: u(5, 1, 3, 3), b: u(5) }, { groups: 5, padding: 1 }),
    C('depthwise-multiplier2', 'conv2d', { x: u(1, 3, 6, 6), w: u(6, 1, 3, 3) }, { groups: 3, stride: 2, padding: 1 }),
    C('pointwise-1x1', 'conv2d', { x: u(2, 8, 5, 5), w: u(4, 8, 1, 1), b: u(4) }),
    C('1x1-map', 'conv2d', { x: u(2, 3, 1, 1), w: u(2, 3, 1, 1), b: u(2) }),
    C('1x1-map-padded-3x3', 'conv2d', { x: u(1, 2, 1, 1), w: u(2, 2, 3, 3) }, { padding: 1 }),
    C('stride-gt-kernel', 'conv2d', { x: u(1, 2, 9, 9), w: u(2, 2, 2, 2) }, { stride: 4 }),
    C('c1-batch1', 'conv2d', { x: u(1, 1, 5, 5), w: u(1, 1, 3, 3), b: u(1) }, { padding: 1 }),
    C('true-convolution-groups-stride', 'conv2d', { x: u(2, 4, 7, 6), w: u(4, 2, 3, 2), b: u(4) }, { mode: 'convolution', groups: 2, stride: 2, padding: [1, 0, 1, 1] }),
    C('lenet-5x5-p2', 'conv2d', { x: u(2, 1, 28, 28), w: u(6, 1, 5, 5), b: u(6) }, { padding: 2 }),
    C('wide-sum-256ch', 'conv2d', { x: u(1, 256, 4, 4), w: u(4, 256, 3, 3), b: u(4) }, { padding: 1 }),
    // windows too wide for the kernels that keep a row's window in registers (webgpu's loop kernels)
    C('stride-100-wide-window', 'conv2d', { x: u(1, 2, 3, 300), w: u(3, 2, 3, 3), b: u(3) }, { stride: [1, 100] }),

    C('basic-k3-p1', 'conv1d', { x: u(2, 3, 16), w: u(4, 3, 3), b: u(4) }, { padding: 1 }),
    C('stride2-same', 'conv1d', { x: u(1, 2, 11), w: u(3, 2, 4) }, { stride: 2, padding: 'same' }),
    C('asymmetric-dilated', 'conv1d', { x: u(1, 2, 12), w: u(2, 2, 3), b: u(2) }, { padding: [3, 1], dilation: 2 }),
    C('depthwise-convolution', 'conv1d', { x: u(2, 4, 9), w: u(4, 1, 3) }, { groups: 4, mode: 'convolution', padding: 2 }),
    C('dilation-130', 'conv1d', { x: u(1, 2, 300), w: u(2, 2, 3) }, { dilation: 130, padding: 1 }),
    C('kernel-80-same', 'conv1d', { x: u(1, 1, 100), w: u(2, 1, 80), b: u(2) }, { padding: 'same' }),

    C('2x2-s2', 'maxPool2d', { x: distinct(2, 3, 8, 8) }, { kernelSize: 2 }),
    C('3x3-s2-p1', 'maxPool2d', { x: distinct(1, 2, 9, 9) }, { kernelSize: 3, stride: 2, padding: 1 }),
    C('ceil-edge-window', 'maxPool2d', { x: distinct(1, 2, 7, 6) }, { kernelSize: 2, stride: 2, ceilMode: true }),
    C('ceil-drop-window-in-pad', 'maxPool2d', { x: distinct(1, 1, 5, 5) }, { kernelSize: 2, stride: 2, padding: 1, ceilMode: true }),
    C('dilation2', 'maxPool2d', { x: distinct(1, 2, 8, 8) }, { kernelSize: 3, stride: 1, dilation: 2, padding: 1 }),
    C('stride-gt-kernel', 'maxPool2d', { x: distinct(1, 2, 9, 9) }, { kernelSize: 2, stride: 3 }),
    C('stride-100-aligned', 'maxPool2d', { x: distinct(1, 1, 2, 304) }, { kernelSize: 2, stride: [1, 100] }),
    C('rect-kernel', 'maxPool2d', { x: distinct(2, 1, 6, 7) }, { kernelSize: [2, 3], stride: [1, 2], padding: [1, 1] }),
    C('1x1-map', 'maxPool2d', { x: distinct(2, 3, 1, 1) }, { kernelSize: 1 }),
    // dilated taps −1 and 1 of a 1-row map both fall in padding: every window is empty, −Inf as PyTorch
    C('dilated-windows-in-padding', 'maxPool2d', { x: distinct(2, 2, 1, 3) }, { kernelSize: 2, stride: 2, padding: 1, dilation: 2, ceilMode: true }),
    // ONNX node tests: test_maxpool_2d_same_upper / _same_lower (SAME_LOWER = the odd pixel before,
    // as 4-sided padding), test_averagepool_2d_same_upper (count_include_pad 0), _precomputed_same_upper
    C('onnx-same-upper', 'maxPool2d', { x: distinct(1, 3, 8, 8) }, { kernelSize: 2, stride: 1, padding: 'same' }),
    C('onnx-same-lower-as-4-sided', 'maxPool2d', { x: distinct(1, 3, 8, 8) }, { kernelSize: 2, stride: 1, padding: [1, 0, 1, 0] }),
    C('same-stride2-odd', 'maxPool2d', { x: distinct(1, 2, 7, 6) }, { kernelSize: 3, stride: 2, padding: 'same' }),
    C('4-sided', 'maxPool2d', { x: distinct(2, 1, 6, 7) }, { kernelSize: [3, 2], stride: [2, 1], padding: [0, 1, 1, 0] }),
    C('valid', 'maxPool2d', { x: distinct(1, 2, 5, 5) }, { kernelSize: 2, padding: 'valid' }),

    C('2x2-s2', 'avgPool2d', { x: u(2, 3, 8, 8) }, { kernelSize: 2 }),
    C('3x3-s2-p1-include-pad', 'avgPool2d', { x: u(1, 2, 9, 9) }, { kernelSize: 3, stride: 2, padding: 1 }),
    C('3x3-s2-p1-exclude-pad', 'avgPool2d', { x: u(1, 2, 9, 9) }, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
    C('ceil-edge-include-pad', 'avgPool2d', { x: u(1, 2, 7, 7) }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
    C('ceil-edge-exclude-pad', 'avgPool2d', { x: u(1, 2, 7, 6) }, { kernelSize: 2, stride: 2, ceilMode: true, countIncludePad: false }),
    C('ceil-no-pad-include', 'avgPool2d', { x: u(1, 1, 5, 5) }, { kernelSize: 2, stride: 2, ceilMode: true }),
    C('stride-gt-kernel', 'avgPool2d', { x: u(1, 2, 9, 9) }, { kernelSize: 2, stride: 3 }),
    C('onnx-same-upper-exclude-pad', 'avgPool2d', { x: u(1, 3, 8, 8) }, { kernelSize: 2, stride: 1, padding: 'same', countIncludePad: false }),
    C('onnx-precomputed-same-upper', 'avgPool2d', { x: u(1, 1, 5, 5) }, { kernelSize: 3, stride: 2, padding: 'same', countIncludePad: false }),
    C('same-include-pad', 'avgPool2d', { x: u(1, 2, 6, 7) }, { kernelSize: [2, 3], stride: 2, padding: 'same' }),
    C('4-sided-include-pad', 'avgPool2d', { x: u(1, 2, 6, 6) }, { kernelSize: 3, stride: 2, padding: [1, 0, 0, 1] }),
    C('4-sided-exclude-pad-ceil', 'avgPool2d', { x: u(1, 2, 7, 6) }, { kernelSize: 3, stride: 2, padding: [0, 1, 1, 1], ceilMode: true, countIncludePad: false }),
    // last window [5, 8) sticks out past the padded extent [−1, 7): PyTorch divides by 2 (clipped to it), not 3
    C('ceil-window-past-padded-extent', 'avgPool2d', { x: u(1, 2, 6, 6) }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
    C('ceil-window-past-padded-extent-exclude', 'avgPool2d', { x: u(1, 2, 6, 6) }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),

    C('k2-s2', 'maxPool1d', { x: distinct(2, 3, 10) }, { kernelSize: 2 }),
    C('k3-s2-p1-ceil', 'maxPool1d', { x: distinct(1, 2, 10) }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
    C('k3-dilation2', 'maxPool1d', { x: distinct(1, 2, 11) }, { kernelSize: 3, dilation: 2, stride: 1 }),
    C('k4-s2-same', 'maxPool1d', { x: distinct(1, 2, 9) }, { kernelSize: 4, stride: 2, padding: 'same' }),
    C('k3-left-right', 'avgPool1d', { x: u(2, 2, 8) }, { kernelSize: 3, stride: 2, padding: [1, 0] }),
    C('k2-same-exclude', 'avgPool1d', { x: u(1, 2, 7) }, { kernelSize: 2, padding: 'same', countIncludePad: false }),
    C('k3-s2-p1', 'avgPool1d', { x: u(2, 2, 9) }, { kernelSize: 3, stride: 2, padding: 1 }),
    C('k3-s2-p1-ceil-past-padded-extent', 'avgPool1d', { x: u(1, 2, 6) }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
    C('k2-s2-ceil-exclude', 'avgPool1d', { x: u(1, 2, 7) }, { kernelSize: 2, stride: 2, ceilMode: true, countIncludePad: false }),

    C('8x8', 'globalAvgPool2d', { x: u(2, 3, 8, 8) }),
    C('1x1-map', 'globalAvgPool2d', { x: u(2, 4, 1, 1) }),
    C('odd-7x5', 'globalAvgPool2d', { x: u(1, 5, 7, 5) }),

    C('eval', 'batchNorm', bn(2, 3, 4, 4), { eps: 1e-5 }),
    C('eval-no-affine', 'batchNorm', bn(2, 3, 3, 3, false)),
    C('training', 'batchNorm', bn(4, 3, 5, 5), { training: true }),
    C('training-momentum0.3-batch1', 'batchNorm', bn(1, 2, 3, 4), { training: true, momentum: 0.3, eps: 1e-3 }),
    C('training-offset-data', 'batchNorm', { ...bn(2, 2, 8, 8), x: { shape: [2, 2, 8, 8], gen: 'positive' } }, { training: true }),

    C('training', 'batchRenorm', bn(4, 3, 4, 4), { training: true, rMax: 1.5, dMax: 0.5 }),
    C('training-unclipped', 'batchRenorm', bn(3, 2, 3, 3), { training: true, rMax: 100, dMax: 100 }),
    C('eval', 'batchRenorm', bn(2, 3, 4, 4), { rMax: 2, dMax: 1 }),
    // σ_B and σ overflow float32 (both Inf) while their ratio is 1: the fuzzer once found NaN here
    C('training-eps-past-float32', 'batchRenorm', bn(2, 2, 3, 3), { training: true, eps: 1e300, rMax: 3, dMax: 5 }),

    C('last-axis', 'layerNorm', { x: u(4, 10), weight: u(10), bias: u(10) }, { normalizedShape: [10] }),
    C('chw', 'layerNorm', { x: u(2, 3, 4, 5), weight: u(3, 4, 5), bias: u(3, 4, 5) }, { normalizedShape: [3, 4, 5] }),
    C('hw-no-affine', 'layerNorm', { x: u(2, 3, 4, 5) }, { normalizedShape: [4, 5], eps: 1e-3 }),

    C('affine', 'instanceNorm', { x: u(2, 3, 5, 5), weight: u(3), bias: u(3) }),
    C('no-affine', 'instanceNorm', { x: u(2, 4, 6, 3) }),

    C('g2', 'groupNorm', { x: u(2, 4, 5, 5), weight: u(4), bias: u(4) }, { numGroups: 2 }),
    C('g1-is-layer-norm', 'groupNorm', { x: u(2, 3, 4, 4), weight: u(3), bias: u(3) }, { numGroups: 1 }),
    C('g-eq-c', 'groupNorm', { x: u(1, 6, 3, 3) }, { numGroups: 6, eps: 1e-3 }),

    C('affine', 'frn', { x: u(2, 3, 5, 5), weight: u(3), bias: u(3) }),
    C('no-affine-eps', 'frn', { x: u(1, 2, 4, 4) }, { eps: 1e-3 }),
    // DESIGN §3: a negative number eps is valid, |eps| is used
    C('negative-number-eps', 'frn', { x: u(1, 2, 3, 3), weight: u(2) }, { eps: -0.01 }),
    C('learnable-eps-tensor', 'frn', { x: u(2, 2, 3, 3), weight: u(2), bias: u(2), eps: { shape: [1], values: [-0.05] } }),

    C('basic', 'tlu', { x: u(2, 3, 4, 4), tau: u(3) }),
    C('basic', 'relu', { x: u(3, 4, 5) }),
    C('basic', 'sigmoid', { x: u(3, 4, 5) }),
    C('basic', 'tanh', { x: u(2, 7) }),
    C('3d', 'permute', { x: u(2, 3, 4) }, { dims: [2, 0, 1] }),
    C('4d-nhwc', 'permute', { x: u(2, 3, 2, 4) }, { dims: [0, 2, 3, 1] }),
    C('inner-axis-3', 'concat', { a: u(2, 3, 2), b: u(2, 1, 2), c: u(2, 2, 2) }, { axis: 1 }),
    C('axis0-2', 'concat', { a: u(2, 3), b: u(4, 3) }, { axis: 0 }),
    C('last-axis', 'argmax', { x: distinct(3, 5) }, { dim: -1 }),
    C('axis0', 'argmax', { x: distinct(4, 2, 3) }, { dim: 0 }),
    C('keepdim-axis1', 'argmax', { x: distinct(2, 4, 3) }, { dim: 1, keepDim: true }),
    C('flattened', 'argmax', { x: distinct(3, 4) }),
    C('flattened-keepdim', 'argmax', { x: distinct(2, 3, 2) }, { keepDim: true }),
    // ties: the first index of the maximum (PyTorch; ONNX select_last_index 0); −0 ties with 0
    C('ties-first', 'argmax', { x: { shape: [3, 4], values: [2, 5, 5, 1, 7, 7, 7, 7, -1, -0, 0, -3] } }, { dim: 1 }, { expected: { values: [1, 0, 1], shape: [3], note: 'first index of each tied maximum' } }),
    C('adam-3-steps', 'adam', { param: u(2, 3), g1: u(2, 3), g2: u(2, 3), g3: u(2, 3) }, { options: { lr: 0.01, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 } }),
    C('adamw-3-steps', 'adam', { param: u(5), g1: u(5), g2: u(5), g3: u(5) }, { decoupled: true, options: { lr: 0.02, weightDecay: 0.05 } }),
    C('with-bias', 'linear', { x: u(4, 10), w: u(6, 10), b: u(6) }),
    C('no-bias-wide', 'linear', { x: u(2, 300), w: u(3, 300) }),
    C('batch1', 'linear', { x: u(1, 5), w: u(1, 5), b: u(1) }),

    C('last-axis', 'softmax', { x: u(4, 10) }),
    C('dim1-nchw', 'softmax', { x: u(2, 3, 4, 4) }, { dim: 1 }),
    C('large-logits', 'softmax', { x: { shape: [3, 5], values: [100, 101, 102, 103, 104, -50, 0, 50, 0, -50, 1, 1, 1, 1, 1] } }),
    C('last-axis', 'logSoftmax', { x: u(4, 10) }),
    C('dim0', 'logSoftmax', { x: u(5, 3) }, { dim: 0 }),
    C('large-logits', 'logSoftmax', { x: { shape: [2, 4], values: [100, 101, 102, 103, -100, 0, 100, 50] } }),

    C('k10', 'crossEntropy', { logits: u(8, 10), labels: { shape: [8], gen: { labels: 10 } } }),
    C('batch1', 'crossEntropy', { logits: u(1, 3), labels: { shape: [1], gen: { labels: 3 } } }),

    C('3x3-p1', 'convToMatrix', { w: u(2, 3, 3, 3) }, { inputShape: [3, 4, 4], options: { padding: 1 } }),
    C('stride2-groups-convolution', 'convToMatrix', { w: u(4, 1, 2, 2) }, { inputShape: [1, 2, 5, 5], options: { stride: 2, groups: 2, mode: 'convolution' } }),
    C('1d-dilated', 'convToMatrix', { w: u(2, 2, 3) }, { inputShape: [2, 8], options: { dilation: 2, padding: 1 } }),

    C('with-bias', 'fuseConvBatchNorm', { w: u(4, 3, 3, 3), b: u(4), runningMean: u(4), runningVar: pos(4), gamma: u(4), beta: u(4) }, { eps: 1e-5 }),
    C('no-conv-bias', 'fuseConvBatchNorm', { w: u(3, 2, 1, 1), runningMean: u(3), runningVar: pos(3), gamma: u(3), beta: u(3) }, { eps: 1e-3 }),

    C('nchw', 'flatten', { x: u(2, 3, 4, 5) }),
    C('middle', 'flatten', { x: u(2, 3, 4, 5) }, { startDim: 1, endDim: 2 }),
  ];
}

// ---------------------------------------------------------------------------------------------
// randomised cases (fast-check, seeded)

const padArb = fc.oneof(
  fc.integer({ min: 0, max: 2 }),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  fc.constantFrom('same' as const, 'valid' as const),
);

const convArb = fc.record({
  ...ints({ N: [1, 2], groups: [1, 3], cPerGroup: [1, 3], oPerGroup: [1, 3], H: [1, 9], W: [1, 9], kh: [1, 4], kw: [1, 4], sh: [1, 3], sw: [1, 3], dh: [1, 2], dw: [1, 2] }),
  padding: padArb,
  convolution: fc.boolean(),
  bias: fc.boolean(),
});

const poolArb = fc.record({
  ...ints({ N: [1, 2], C: [1, 3], H: [1, 9], W: [1, 9], kh: [1, 4], kw: [1, 4], sh: [1, 4], sw: [1, 4], ph: [0, 2], pw: [0, 2], d: [1, 2] }),
  ceilMode: fc.boolean(),
  countIncludePad: fc.boolean(),
});

const normArb = fc.record({
  ...ints({ N: [1, 3], C: [1, 6], H: [1, 6], W: [1, 6] }),
  affine: fc.boolean(),
  eps: fc.constantFrom(1e-5, 1e-3),
});

function randomForward(count: number, seed: number): Case[] {
  const cases: Case[] = [];
  const sample = <T>(arb: fc.Arbitrary<T>, salt: number) => fc.sample(arb, { seed: seed + salt, numRuns: count });
  sample(convArb.filter(convFits), 1).forEach((r, i) => {
    const C = r.groups * r.cPerGroup;
    const O = r.groups * r.oPerGroup;
    cases.push(
      mk({
        id: `conv2d/random#${i}`,
        op: 'conv2d',
        inputs: { x: u(r.N, C, r.H, r.W), w: u(O, r.cPerGroup, r.kh, r.kw), ...(r.bias ? { b: u(O) } : {}) },
        attrs: { stride: [r.sh, r.sw], dilation: [r.dh, r.dw], padding: r.padding, groups: r.groups, mode: r.convolution ? 'convolution' : 'correlation' },
        seed: seed * 1000 + i,
      }),
    );
  });
  sample(convArb.filter((r) => r.padding === 'same' || (typeof r.padding === 'number' && r.W + 2 * r.padding >= r.dw * (r.kw - 1) + 1)), 2).forEach((r, i) => {
    const C = r.groups * r.cPerGroup;
    const O = r.groups * r.oPerGroup;
    cases.push(
      mk({
        id: `conv1d/random#${i}`,
        op: 'conv1d',
        inputs: { x: u(r.N, C, r.W), w: u(O, r.cPerGroup, r.kw), ...(r.bias ? { b: u(O) } : {}) },
        attrs: { stride: r.sw, dilation: r.dw, padding: r.padding, groups: r.groups, mode: r.convolution ? 'convolution' : 'correlation' },
        seed: seed * 1000 + 100 + i,
      }),
    );
  });
  sample(poolArb.filter((r) => poolFits(r, r.d)), 3).forEach((r, i) => {
    cases.push(
      mk({
        id: `maxPool2d/random#${i}`,
        op: 'maxPool2d',
        inputs: { x: distinct(r.N, r.C, r.H, r.W) },
        attrs: { kernelSize: [r.kh, r.kw], stride: [r.sh, r.sw], padding: [r.ph, r.pw], dilation: r.d, ceilMode: r.ceilMode },
        seed: seed * 1000 + 200 + i,
      }),
    );
  });
  sample(poolArb.filter((r) => poolFits(r, 1)), 4).forEach((r, i) => {
    cases.push(
      mk({
        id: `avgPool2d/random#${i}`,
        op: 'avgPool2d',
        inputs: { x: u(r.N, r.C, r.H, r.W) },
        attrs: { kernelSize: [r.kh, r.kw], stride: [r.sh, r.sw], padding: [r.ph, r.pw], ceilMode: r.ceilMode, countIncludePad: r.countIncludePad },
        seed: seed * 1000 + 300 + i,
      }),
    );
  });
  sample(poolArb.filter((r) => poolFits(r, r.d)), 5).forEach((r, i) => {
    const max = i % 2 === 0;
    cases.push(
      mk({
        id: `${max ? 'maxPool1d' : 'avgPool1d'}/random#${i}`,
        op: max ? 'maxPool1d' : 'avgPool1d',
        inputs: { x: max ? distinct(r.N, r.C, r.W) : u(r.N, r.C, r.W) },
        attrs: max
          ? { kernelSize: r.kw, stride: r.sw, padding: r.pw, dilation: r.d, ceilMode: r.ceilMode }
          : { kernelSize: r.kw, stride: r.sw, padding: r.pw, ceilMode: r.ceilMode, countIncludePad: r.countIncludePad },
        seed: seed * 1000 + 400 + i,
      }),
    );
  });
  sample(normArb, 6).forEach((r, i) => {
    const s = seed * 1000 + 500 + i * 10;
    const x = u(r.N, r.C, r.H, r.W);
    const aff: Record<string, InputSpec> = r.affine ? { weight: u(r.C), bias: u(r.C) } : {};
    const divisors = Array.from({ length: r.C }, (_, k) => k + 1).filter((g) => r.C % g === 0);
    const training = r.N * r.H * r.W > 1;
    cases.push(
      mk({ id: `globalAvgPool2d/random#${i}`, op: 'globalAvgPool2d', inputs: { x }, attrs: {}, seed: s }),
      mk({ id: `batchNorm/random#${i}`, op: 'batchNorm', inputs: { x, runningMean: u(r.C), runningVar: pos(r.C), ...aff }, attrs: { eps: r.eps, training: training && i % 2 === 0 }, seed: s + 1 }),
      mk({ id: `layerNorm/random#${i}`, op: 'layerNorm', inputs: { x, ...(r.affine ? { weight: u(r.H, r.W), bias: u(r.H, r.W) } : {}) }, attrs: { normalizedShape: [r.H, r.W], eps: r.eps }, seed: s + 2 }),
      // instance statistics need more than one spatial element (PyTorch refuses [N, C, 1, 1] too)
      ...(r.H * r.W > 1 ? [mk({ id: `instanceNorm/random#${i}`, op: 'instanceNorm', inputs: { x, ...aff }, attrs: { eps: r.eps }, seed: s + 3 })] : []),
      mk({ id: `groupNorm/random#${i}`, op: 'groupNorm', inputs: { x, ...aff }, attrs: { numGroups: divisors[i % divisors.length], eps: r.eps }, seed: s + 4 }),
      mk({ id: `frn/random#${i}`, op: 'frn', inputs: { x, ...aff }, attrs: { eps: r.eps }, seed: s + 5 }),
      mk({ id: `relu/random#${i}`, op: 'relu', inputs: { x }, attrs: {}, seed: s + 12 }),
      mk({ id: `tlu/random#${i}`, op: 'tlu', inputs: { x, tau: u(r.C) }, attrs: {}, seed: s + 6 }),
      mk({ id: `softmax/random#${i}`, op: 'softmax', inputs: { x }, attrs: { dim: i % 4 }, seed: s + 7 }),
      mk({ id: `logSoftmax/random#${i}`, op: 'logSoftmax', inputs: { x }, attrs: { dim: (i + 2) % 4 }, seed: s + 8 }),
      mk({ id: `linear/random#${i}`, op: 'linear', inputs: { x: u(r.N, r.H * r.W), w: u(r.C, r.H * r.W), ...(r.affine ? { b: u(r.C) } : {}) }, attrs: {}, seed: s + 9 }),
    );
    if (training) cases.push(mk({ id: `batchRenorm/random#${i}`, op: 'batchRenorm', inputs: { x, runningMean: u(r.C), runningVar: pos(r.C), ...aff }, attrs: { training, rMax: 1 + r.eps * 300, dMax: 0.3 }, seed: s + 10 }));
    cases.push(mk({ id: `crossEntropy/random#${i}`, op: 'crossEntropy', inputs: { logits: u(r.N * r.H, r.C + 1), labels: { shape: [r.N * r.H], gen: { labels: r.C + 1 } } }, attrs: {}, seed: s + 11 }));
  });
  return cases;
}

// ---------------------------------------------------------------------------------------------
// backward cases: every input's .grad against central finite differences of the float64 reference

function backwardCases(randomCount: number, seed: number): Case[] {
  const B = (id: string, op: string, inputs: Record<string, InputSpec>, attrs: Attrs = {}) => mk({ id: `${op}Backward/${id}`, op, inputs, attrs, kind: 'backward' });
  const bnIn = (N: number, C: number, H: number, W: number) => ({ x: u(N, C, H, W), runningMean: u(C), runningVar: pos(C), weight: u(C), bias: u(C) });
  const cases = [
    B('p1-bias', 'conv2d', { x: u(2, 2, 5, 5), w: u(3, 2, 3, 3), b: u(3) }, { padding: 1 }),
    B('stride2-same-dilated', 'conv2d', { x: u(1, 2, 7, 6), w: u(2, 2, 3, 2) }, { stride: 2, padding: 'same', dilation: [2, 1] }),
    B('groups-asym-pad', 'conv2d', { x: u(1, 4, 5, 4), w: u(4, 2, 2, 3), b: u(4) }, { groups: 2, padding: [1, 0, 2, 1] }),
    B('depthwise-stride3', 'conv2d', { x: u(2, 3, 7, 7), w: u(3, 1, 3, 3) }, { groups: 3, stride: 3, padding: 1 }),
    B('true-convolution', 'conv2d', { x: u(1, 2, 5, 5), w: u(2, 2, 3, 2), b: u(2) }, { mode: 'convolution', padding: [1, 1] }),
    B('k3-stride2-same', 'conv1d', { x: u(2, 2, 9), w: u(3, 2, 3), b: u(3) }, { stride: 2, padding: 'same' }),
    B('depthwise-convolution-dilated', 'conv1d', { x: u(1, 3, 10), w: u(3, 1, 3) }, { groups: 3, mode: 'convolution', dilation: 2, padding: [2, 1] }),
    B('dilation-130', 'conv1d', { x: u(1, 1, 270), w: u(2, 1, 3) }, { dilation: 130 }),
    B('stride-100', 'conv2d', { x: u(1, 1, 2, 210), w: u(2, 1, 2, 3), b: u(2) }, { stride: [1, 100] }),
    B('3x3-s2-p1', 'maxPool2d', { x: distinct(2, 2, 7, 7) }, { kernelSize: 3, stride: 2, padding: 1 }),
    B('ceil-dilated', 'maxPool2d', { x: distinct(1, 2, 7, 6) }, { kernelSize: 2, stride: 2, dilation: 2, ceilMode: true }),
    // empty windows route no gradient (PyTorch 1.13 writes theirs into the next plane's elements)
    B('dilated-windows-in-padding', 'maxPool2d', { x: distinct(2, 2, 1, 3) }, { kernelSize: 2, stride: 2, padding: 1, dilation: 2, ceilMode: true }),
    // the same in rows only (dilation [2, 1]): cpu's dilation-1 column path
    B('dilated-rows-in-padding', 'maxPool2d', { x: distinct(2, 2, 1, 5) }, { kernelSize: 2, stride: 2, padding: 1, dilation: [2, 1], ceilMode: true }),
    B('ceil-include-pad', 'avgPool2d', { x: u(1, 2, 7, 7) }, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }),
    B('exclude-pad', 'avgPool2d', { x: u(2, 1, 6, 5) }, { kernelSize: [2, 3], stride: [2, 1], padding: [1, 1], countIncludePad: false }),
    B('same-stride2', 'maxPool2d', { x: distinct(1, 2, 7, 6) }, { kernelSize: 3, stride: 2, padding: 'same' }),
    B('4-sided', 'maxPool2d', { x: distinct(1, 2, 6, 5) }, { kernelSize: 2, stride: 2, padding: [1, 0, 0, 1] }),
    B('same-exclude-pad', 'avgPool2d', { x: u(1, 2, 5, 6) }, { kernelSize: 3, stride: 2, padding: 'same', countIncludePad: false }),
    B('4-sided-include-pad', 'avgPool2d', { x: u(1, 2, 6, 6) }, { kernelSize: 3, stride: 2, padding: [1, 0, 0, 1] }),
    B('k2-same', 'maxPool1d', { x: distinct(1, 2, 7) }, { kernelSize: 2, padding: 'same' }),
    B('k3-left-right', 'avgPool1d', { x: u(1, 2, 8) }, { kernelSize: 3, stride: 2, padding: [0, 1] }),
    B('k3-s2-p1', 'maxPool1d', { x: distinct(2, 2, 9) }, { kernelSize: 3, stride: 2, padding: 1 }),
    B('k2-ceil', 'avgPool1d', { x: u(1, 3, 7) }, { kernelSize: 2, ceilMode: true, countIncludePad: false }),
    B('basic', 'globalAvgPool2d', { x: u(2, 3, 4, 5) }),
    B('training', 'batchNorm', bnIn(3, 2, 3, 3), { training: true }),
    B('eval', 'batchNorm', bnIn(2, 2, 3, 3)),
    B('training-clipped', 'batchRenorm', bnIn(3, 2, 3, 3), { training: true, rMax: 1.2, dMax: 0.2 }),
    B('training-unclipped', 'batchRenorm', bnIn(2, 3, 2, 3), { training: true, rMax: 100, dMax: 100 }),
    B('chw', 'layerNorm', { x: u(2, 2, 3, 3), weight: u(2, 3, 3), bias: u(2, 3, 3) }, { normalizedShape: [2, 3, 3] }),
    B('last-axis', 'layerNorm', { x: u(3, 7), weight: u(7), bias: u(7) }, { normalizedShape: [7] }),
    B('affine', 'instanceNorm', { x: u(2, 3, 3, 4), weight: u(3), bias: u(3) }),
    B('g2', 'groupNorm', { x: u(2, 4, 3, 3), weight: u(4), bias: u(4) }, { numGroups: 2 }),
    B('affine', 'frn', { x: u(2, 2, 3, 3), weight: u(2), bias: u(2) }, { eps: 1e-3 }),
    B('negative-number-eps', 'frn', { x: u(2, 2, 3, 3), weight: u(2) }, { eps: -0.02 }),
    B('learnable-eps', 'frn', { x: u(2, 2, 2, 2), weight: u(2), bias: u(2), eps: { shape: [1], values: [0.05] } }),
    B('learnable-negative-eps', 'frn', { x: u(1, 3, 2, 3), eps: { shape: [1], values: [-0.1] } }),
    B('tau', 'tlu', { x: u(2, 3, 3, 3), tau: u(3) }),
    B('basic', 'relu', { x: u(2, 3, 4) }),
    B('basic', 'sigmoid', { x: u(2, 3) }),
    B('basic', 'tanh', { x: u(3, 2) }),
    B('3d', 'permute', { x: u(2, 3, 2) }, { dims: [1, 2, 0] }),
    B('inner-axis', 'concat', { a: u(2, 2), b: u(2, 3) }, { axis: 1 }),
    B('with-bias', 'linear', { x: u(3, 5), w: u(4, 5), b: u(4) }),
    B('last-axis', 'softmax', { x: u(3, 6) }),
    B('dim1', 'softmax', { x: u(2, 4, 3) }, { dim: 1 }),
    B('last-axis', 'logSoftmax', { x: u(3, 6) }),
    B('dim0', 'logSoftmax', { x: u(4, 3) }, { dim: 0 }),
    B('k5', 'crossEntropy', { logits: u(4, 5), labels: { shape: [4], gen: { labels: 5 } } }),
  ];
  const small = convArb.filter(convFits).filter((r) => r.N * r.groups * r.cPerGroup * r.H * r.W <= 120);
  fc.sample(small, { seed: seed + 7, numRuns: randomCount }).forEach((r, i) => {
    const C = r.groups * r.cPerGroup;
    const O = r.groups * r.oPerGroup;
    cases.push(
      mk({
        id: `conv2dBackward/random#${i}`,
        op: 'conv2d',
        kind: 'backward',
        inputs: { x: u(r.N, C, r.H, r.W), w: u(O, r.cPerGroup, r.kh, r.kw), ...(r.bias ? { b: u(O) } : {}) },
        attrs: { stride: [r.sh, r.sw], dilation: [r.dh, r.dw], padding: r.padding, groups: r.groups, mode: r.convolution ? 'convolution' : 'correlation' },
        seed: seed * 1000 + 900 + i,
      }),
    );
  });
  return cases;
}

export interface CaseOptions {
  quick?: boolean;
  seed?: number;
  ops?: string[];
}

/** The whole table: textbook + fixed + randomised forward cases, then backward cases, then layer-sized random cases. */
export function buildCases(options: CaseOptions = {}): Case[] {
  seedCounter = 1;
  const seed = options.seed ?? 20240611;
  const random = options.quick ? 4 : 20;
  const all = [
    ...textbookCases(), ...fixedForward(), ...randomForward(random, seed), ...backwardCases(options.quick ? 3 : 12, seed),
    // training issue: elementwise ops, random FD backward for every differentiable op, training checks (training/cases.ts)
    ...elementwiseCases(mk, options.quick ? 2 : 10, seed), ...randomBackwardCases(mk, options.quick ? 2 : 6, seed), ...trainingCases(mk, options.quick ?? false),
    ...layerSizedCases(mk, options.quick ?? false, seed),
  ];
  const ids = new Set<string>();
  for (const c of all) {
    if (ids.has(c.id)) throw new Error(`cases: duplicate id ${c.id}`);
    ids.add(c.id);
  }
  return options.ops ? all.filter((c) => options.ops!.includes(c.op) || options.ops!.includes(rowOf(c))) : all;
}
