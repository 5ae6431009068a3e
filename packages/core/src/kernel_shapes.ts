/**
 * Output shapes of every kernel, computed once in core from the input shapes and the attributes,
 * and handed to the kernel: no backend ever re-derives a shape (DESIGN §2). The statistics shapes
 * are the ones written in `kernels.ts`.
 */
import type { KernelAttrs, KernelName } from './kernels.js';

type Shape = readonly number[];
/** Input shapes by input name (absent optional inputs are undefined). */
export type InputShapes = Readonly<Record<string, Shape | undefined>>;
type ShapeRule<K extends KernelName> = (inputs: InputShapes, attrs: KernelAttrs<K>) => Shape[];
type ShapeTable = { [K in KernelName]: ShapeRule<K> };

const of = (inputs: InputShapes, name: string): Shape => inputs[name]!;
const same = (name: string) => (inputs: InputShapes): Shape[] => [of(inputs, name)];
/** [C] of an [N, C, ...] tensor. */
const channels = (x: Shape): Shape => [x[1]!];
const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** Output shapes in the contract's output order. */
export const KERNEL_SHAPES: ShapeTable = {
  conv2d: (_, { geometry }) => [geometry.yShape],
  conv2dBackpropInput: (_, { geometry }) => [geometry.xShape],
  conv2dBackpropFilter: (_, { geometry }) => [geometry.wShape],
  reverseSpatial: same('x'),
  conv2dFused: (_, { geometry }) => [geometry.yShape],
  maxPool2d: (_, { geometry }) => [geometry.yShape],
  maxPool2dBackward: (_, { geometry }) => [geometry.xShape],
  avgPool2d: (_, { geometry }) => [geometry.yShape],
  avgPool2dBackward: (_, { geometry }) => [geometry.xShape],
  globalAvgPool: ({ x }) => [[...x!.slice(0, 2), ...x!.slice(2).map(() => 1)]],
  batchNormInference: same('x'),
  batchNormInferenceFused: same('x'),
  batchNormTraining: ({ x }) => [x!, channels(x!), channels(x!)],
  batchNormBackward: ({ x }) => [x!, channels(x!), channels(x!)],
  layerNorm: ({ x }, { rowSize }) => [x!, [size(x!) / rowSize], [size(x!) / rowSize]],
  layerNormBackward: ({ x }, { rowSize }) => [x!, [rowSize], [rowSize]],
  groupNorm: ({ x }, { numGroups }) => [x!, [x![0]!, numGroups], [x![0]!, numGroups]],
  groupNormBackward: ({ x }) => [x!, channels(x!), channels(x!)],
  frn: ({ x }) => [x!, [x![0]!, x![1]!]],
  frnBackward: ({ x }) => [x!, channels(x!), channels(x!), [1]],
  frnTlu: same('x'),
  tlu: same('x'),
  tluBackward: ({ x }) => [x!, channels(x!)],
  relu: same('x'),
  reluBackward: same('x'),
  sigmoid: same('x'),
  tanh: same('x'),
  linear: ({ x, w }) => [[x![0]!, w![0]!]],
  matMul: ({ a, b }, { transposeA, transposeB }) => [[transposeA ? a![1]! : a![0]!, transposeB ? b![0]! : b![1]!]],
  softmax: same('x'),
  softmaxBackward: same('y'),
  logSoftmax: same('x'),
  logSoftmaxBackward: same('y'),
  softmaxCrossEntropy: () => [[]],
  softmaxCrossEntropyBackward: same('logits'),
  argmax: (_, { outer, inner }) => [inner === 1 ? [outer] : [outer, inner]],
  add: (_, { outShape }) => [outShape],
  sub: (_, { outShape }) => [outShape],
  mul: (_, { outShape }) => [outShape],
  div: (_, { outShape }) => [outShape],
  maximum: (_, { outShape }) => [outShape],
  minimum: (_, { outShape }) => [outShape],
  addScalar: same('x'),
  mulScalar: same('x'),
  rdivScalar: same('x'),
  maximumScalar: same('x'),
  minimumScalar: same('x'),
  neg: same('x'),
  sqrt: same('x'),
  abs: same('x'),
  exp: same('x'),
  log: same('x'),
  // fill has no input: its shape comes with the call (see `runKernel`'s `shape` option)
  fill: () => {
    throw new Error('fill: the output shape is passed to runKernel');
  },
  sum: (_, { outShape }) => [outShape],
  broadcastTo: (_, { shape }) => [shape],
  transpose: ({ x }, { perm }) => [perm.map((p) => x![p]!)],
  concat: ({ a }, { axis, aSize, bSize }) => [resized(a!, axis, aSize + bSize)],
  slice: ({ x }, { axis, size: n }) => [resized(x!, axis, n)],
  sgdStep: same('param'),
  sgdMomentumStep: ({ param }) => [param!, param!],
  adamStep: ({ param }) => [param!, param!, param!],
  agcUnitClip: same('grad'),
};

/** `shape` with `axis` resized to `n`. */
const resized = (shape: Shape, axis: number, n: number): Shape => shape.map((s, i) => (i === axis ? n : s));

/** Output shapes of kernel `name`, in the contract's output order. */
export function kernelOutputShapes<K extends KernelName>(name: K, inputs: InputShapes, attrs: KernelAttrs<K>): Shape[] {
  return (KERNEL_SHAPES[name] as ShapeRule<K>)(inputs, attrs);
}
