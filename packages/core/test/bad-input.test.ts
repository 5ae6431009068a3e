// Every public forward op rejects bad input with a HypercolumnError that names the op, the
// argument, what was expected and what came (issue: "Bad input"). Validation lives in core, so
// these run on cpu and hold for every backend.
import '@hypercolumn/backend-cpu';
import * as hc from '@hypercolumn/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectHcError } from './helpers.js';

beforeAll(async () => {
  await hc.setBackend('cpu');
});

const t = (shape: number[]) => hc.zeros(shape);


describe('conv2d bad input', () => {
  const x = t([1, 4, 8, 8]);
  const w = t([6, 4, 3, 3]);
  it('wrong rank', () => {
    expectHcError(() => hc.conv2d(t([4, 8, 8]), w), 'conv2d', 'x', 'rank 4', 'got rank 3', '[4, 8, 8]');
    expectHcError(() => hc.conv2d(x, t([6, 4, 3])), 'conv2d', 'w', 'rank 4', 'got rank 3');
  });
  it('mismatched channels / weight of wrong shape', () => {
    expectHcError(() => hc.conv2d(x, t([6, 3, 3, 3])), 'conv2d', 'w expected shape [6, 4, kh, kw]', 'got [6, 3, 3, 3]');
  });
  it('groups not dividing C or O', () => {
    expectHcError(() => hc.conv2d(x, t([6, 4, 3, 3]), null, { groups: 3 }), 'conv2d', 'groups', 'divisor of the input channels (4)', 'got 3');
    expectHcError(() => hc.conv2d(x, t([6, 2, 3, 3]), null, { groups: 4 }), 'groups', 'divisor of the output channels (6)', 'got 4');
  });
  it('kernel larger than the padded input', () => {
    expectHcError(() => hc.conv2d(t([1, 1, 3, 3]), t([1, 1, 5, 5])), 'conv2d', 'w', 'padded input size 3×3', 'got 5×5');
    expectHcError(() => hc.conv2d(t([1, 1, 3, 3]), t([1, 1, 3, 3]), null, { dilation: 2 }), 'conv2d', 'got 5×5');
  });
  it('non-integer, non-positive and NaN sizes; stride 0', () => {
    expectHcError(() => hc.conv2d(x, w, null, { stride: 0 }), 'conv2d', 'stride', 'positive integer', 'got 0');
    expectHcError(() => hc.conv2d(x, w, null, { stride: 1.5 }), 'stride', 'got 1.5');
    expectHcError(() => hc.conv2d(x, w, null, { stride: [1, NaN] }), 'stride[1]', 'got NaN');
    expectHcError(() => hc.conv2d(x, w, null, { dilation: -1 }), 'dilation', 'got -1');
    expectHcError(() => hc.conv2d(x, w, null, { padding: -1 }), 'padding', 'non-negative integer', 'got -1');
    expectHcError(() => hc.conv2d(x, w, null, { padding: [1, NaN] as [number, number] }), 'padding[1]', 'got NaN');
    expectHcError(() => hc.conv2d(x, w, null, { groups: 0 }), 'groups', 'got 0');
  });
  it('unknown padding string, bad mode, unknown option', () => {
    expectHcError(() => hc.conv2d(x, w, null, { padding: 'full' as never }), 'conv2d', 'padding', '"valid" or "same"', 'got "full"');
    expectHcError(() => hc.conv2d(x, w, null, { padding: [1, 2, 3] as never }), 'padding', 'got [1, 2, 3]');
    expectHcError(() => hc.conv2d(x, w, null, { mode: 'flip' as never }), 'mode', 'got "flip"');
    expectHcError(() => hc.conv2d(x, w, null, { strides: 2 } as never), 'options', 'got "strides"');
  });
  it('bias of wrong shape', () => {
    expectHcError(() => hc.conv2d(x, w, t([5])), 'conv2d', 'b expected shape [6]', 'got [5]');
  });
  it('not a tensor', () => {
    expectHcError(() => hc.conv2d(new Float32Array(4) as never, w), 'conv2d', 'x expected a Tensor', 'got Float32Array(4)');
  });
});

describe('conv1d bad input', () => {
  it('rank, channels, sizes, padding', () => {
    const x = t([2, 3, 10]);
    expectHcError(() => hc.conv1d(t([2, 3, 10, 1]), t([4, 3, 3])), 'conv1d', 'x', 'rank 3');
    expectHcError(() => hc.conv1d(x, t([4, 2, 3])), 'conv1d', 'w expected shape [4, 3, k]', 'got [4, 2, 3]');
    expectHcError(() => hc.conv1d(x, t([4, 3, 3]), null, { stride: 0 }), 'conv1d', 'stride', 'got 0');
    expectHcError(() => hc.conv1d(x, t([4, 3, 3]), null, { padding: 'circular' as never }), 'conv1d', 'padding', 'got "circular"');
    expectHcError(() => hc.conv1d(x, t([4, 3, 11])), 'conv1d', 'padded input');
  });
});

describe('pool bad input', () => {
  const x = t([1, 2, 6, 6]);
  it('kernel, stride, padding, rank', () => {
    expectHcError(() => hc.maxPool2d(x, { kernelSize: 0 }), 'maxPool2d', 'kernelSize', 'got 0');
    expectHcError(() => hc.maxPool2d(x, {} as never), 'maxPool2d', 'kernelSize', 'got undefined');
    expectHcError(() => hc.maxPool2d(x, { kernelSize: 2, stride: 0 }), 'maxPool2d', 'stride', 'got 0');
    expectHcError(() => hc.maxPool2d(x, { kernelSize: 2, padding: 2 }), 'maxPool2d', 'padding', 'at most half the kernel size (1, 1) on each side', 'got 2');
    expectHcError(() => hc.avgPool2d(x, { kernelSize: 7 }), 'avgPool2d', 'kernelSize', 'padded input size 6×6', 'got 7×7');
    expectHcError(() => hc.avgPool2d(t([2, 6, 6]), { kernelSize: 2 }), 'avgPool2d', 'x', 'rank 4');
    expectHcError(() => hc.avgPool2d(x, { kernelSize: 2, countIncludePad: 'yes' as never }), 'countIncludePad', 'a boolean');
    expectHcError(() => hc.maxPool1d(t([1, 2, 6]), { kernelSize: NaN }), 'maxPool1d', 'kernelSize', 'got NaN');
    expectHcError(() => hc.globalAvgPool2d(t([2, 6, 6])), 'globalAvgPool2d', 'rank 4');
  });
});

describe('normalization bad input', () => {
  const x = t([2, 4, 3, 3]);
  it('batchNorm', () => {
    expectHcError(() => hc.batchNorm(x, t([3]), t([4])), 'batchNorm', 'runningMean expected shape [4]', 'got [3]');
    expectHcError(() => hc.batchNorm(x, t([4]), t([4]), t([5])), 'batchNorm', 'weight expected shape [4]');
    expectHcError(() => hc.batchNorm(x, null, null), 'batchNorm', 'runningMean', 'eval mode');
    expectHcError(() => hc.batchNorm(x, t([4]), t([4]), null, null, { eps: NaN }), 'batchNorm', 'eps', 'got NaN');
    expectHcError(() => hc.batchNorm(t([1, 4, 1, 1]), t([4]), t([4]), null, null, { training: true }), 'batchNorm', 'more than 1 value per channel');
  });
  it('groupNorm, layerNorm, instanceNorm, frn, tlu', () => {
    expectHcError(() => hc.groupNorm(x, 3), 'groupNorm', 'numGroups', 'divisor of the channels (4)', 'got 3');
    expectHcError(() => hc.groupNorm(x, 0), 'groupNorm', 'numGroups', 'got 0');
    expectHcError(() => hc.layerNorm(x, [4, 3]), 'layerNorm', 'normalizedShape', 'trailing axes', 'got [4, 3]');
    expectHcError(() => hc.layerNorm(x, [3, 3], t([9])), 'layerNorm', 'weight expected shape [3, 3]');
    expectHcError(() => hc.instanceNorm(t([2, 4]), null), 'instanceNorm', 'x', 'rank 3 or 4 or 5');
    expectHcError(() => hc.frn(x, t([3])), 'frn', 'weight expected shape [4]');
    expectHcError(() => hc.tlu(x, t([2])), 'tlu', 'tau expected shape [4]');
  });
});

describe('dense and loss bad input', () => {
  it('linear, softmax, crossEntropy', () => {
    expectHcError(() => hc.linear(t([2, 5]), t([3, 4])), 'linear', 'x expected a last axis of 4', '[2, 5]');
    expectHcError(() => hc.linear(t([2, 4]), t([3, 4]), t([4])), 'linear', 'b expected shape [3]');
    expectHcError(() => hc.softmax(t([2, 3]), 2), 'softmax', 'dim', 'got 2');
    expectHcError(() => hc.crossEntropy(t([2, 3]), [0]), 'crossEntropy', 'labels expected 2 class indices', 'got 1');
    expectHcError(() => hc.crossEntropy(t([2, 3]), [0, 3]), 'crossEntropy', 'labels[1]', 'in [0, 2]', 'got 3');
    expectHcError(() => hc.crossEntropy(t([2, 3]), [0, 1.5]), 'labels[1]', 'got 1.5');
    expectHcError(() => hc.add(t([2, 3]), t([4])), 'add', 'broadcastable with [2, 3]', 'got [4]');
  });
});

describe('tensors', () => {
  it('creation checks shape against data', () => {
    expectHcError(() => hc.tensor([1, 2, 3], [2, 2]), 'tensor', 'values expected 4 elements for shape [2, 2]', 'got 3');
    expectHcError(() => hc.tensor([1, 2], [2, NaN]), 'tensor', 'shape[1]', 'got NaN');
    expectHcError(() => hc.tensor('abc' as never), 'tensor', 'values');
  });
  it('disposed storage is rejected by every op', () => {
    const x = hc.ones([1, 1, 4, 4]);
    const w = hc.ones([1, 1, 3, 3]);
    x.dispose();
    expectHcError(() => hc.conv2d(x, w), 'conv2d', 'x expected a live tensor', 'got a disposed tensor of shape [1, 1, 4, 4]');
    expectHcError(() => hc.relu(x), 'relu', 'disposed');
    expectHcError(() => x.dataSync(), 'dataSync', 'disposed');
    w.dispose();
  });
  it('nothing the user passed is mutated', () => {
    const values = new Float32Array([1, -2, 3, -4]);
    const x = hc.tensor(values, [1, 1, 2, 2]);
    values[0] = 100;
    expect(x.dataSync()[0]).toBe(1);
    const before = x.dataSync();
    hc.relu(x).dispose();
    hc.conv2d(x, hc.ones([1, 1, 1, 1]), null, { mode: 'convolution' }).dispose();
    expect(x.dataSync()).toEqual(before);
    x.dispose();
  });
});
