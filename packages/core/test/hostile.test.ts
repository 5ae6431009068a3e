// Issue 9's hostile calls, one by one: each is a HypercolumnError naming the op the user called, the
// argument, what was expected and what came, and leaves hc.memory() unchanged. The randomized sweep
// over every op is fuzz.test.ts; this file pins the cases the issue reported.
import { createCpuBackend } from '@hypercolumn/backend-cpu';
import * as hc from '@hypercolumn/core';
import { nn, optim } from '@hypercolumn/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectClose, expectHcError, expectRejectedWithoutLeak as rejects, vals } from './helpers.js';

beforeAll(async () => {
  await hc.setBackend('cpu');
  hc.registerBackend('hostile-cpu2', () => createCpuBackend({ name: 'hostile-cpu2' }), -1);
});
afterAll(() => hc.removeBackend('hostile-cpu2'));

describe('silent wrong results are errors now', () => {
  it('broadcastTo checks the target shape', () => {
    const x = hc.tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 8]);
    rejects(() => hc.broadcastTo(x, [2, 3]), 'broadcastTo: shape expected a shape that x [1, 8] broadcasts to', 'got [2, 3]');
    const three = hc.tensor([1, 2, 3]);
    rejects(() => hc.broadcastTo(three, [1]), 'broadcastTo', 'got [1]');
    rejects(() => hc.broadcastTo(x, 'abc' as never), 'broadcastTo: shape expected an array', 'got "abc"');
    rejects(() => hc.broadcastTo(x, [8]), 'broadcastTo', 'got [8]'); // fewer axes than x
    expect(vals(hc.broadcastTo(hc.tensor([1, 2], [2, 1]), [3, 2, 2]))).toEqual([1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2]);
  });

  it('adaptiveGradClip needs clipping > 0 and eps > 0', () => {
    const w = hc.zeros([2, 3], { requiresGrad: true });
    w.grad = hc.zeros([2, 3]);
    rejects(() => optim.adaptiveGradClip([w], { eps: 0 }), 'adaptiveGradClip: eps expected a finite number > 0, got 0');
    rejects(() => optim.adaptiveGradClip([w], { clipping: 0 }), 'adaptiveGradClip: clipping expected a finite number > 0, got 0');
    optim.adaptiveGradClip([w]); // zero weights, zero gradient: stays 0, not NaN
    expect(vals(w.grad)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('full / scalar take numbers only (NaN and ±Infinity are numbers)', () => {
    rejects(() => hc.full([2], 'abc' as never), 'full: value expected a number, got "abc"');
    rejects(() => hc.full([2], '7' as never), 'full: value expected a number, got "7"');
    rejects(() => hc.full([2], null as never), 'full: value expected a number, got null');
    rejects(() => hc.scalar({} as never), 'scalar: value expected a number');
    expect(vals(hc.full([2], -Infinity))).toEqual([-Infinity, -Infinity]);
    expect(Number.isNaN(hc.scalar(NaN).item())).toBe(true);
  });

  it('logSoftmax and crossEntropy of huge equal logits are −log K and log K', () => {
    expectClose(vals(hc.logSoftmax(hc.full([1, 3], 1e20))), [-Math.log(3), -Math.log(3), -Math.log(3)]);
    expectClose(vals(hc.logSoftmax(hc.full([3, 2], -1e30), 0)), new Array(6).fill(-Math.log(3)));
    expectClose([hc.crossEntropy(hc.full([2, 3], 1e20), [0, 1]).item()], [Math.log(3)]);
  });

  it('batchNorm: momentum in [0, 1], running statistics come in pairs', () => {
    const x = hc.randn([2, 3, 2, 2], { seed: 1 });
    const mean = hc.zeros([3]);
    const variance = hc.ones([3]);
    rejects(() => hc.batchNorm(x, mean, variance, null, null, { training: true, momentum: 1e308 }), 'batchNorm: momentum expected a number in [0, 1], got 1e+308');
    rejects(() => hc.batchNorm(x, mean, null, null, null, { training: true }), 'batchNorm: runningVar expected a [C] tensor when the other running statistic is given');
    rejects(() => hc.batchNorm(x, null, variance, null, null, { training: true }), 'batchNorm: runningMean expected');
    expect(vals(mean)).toEqual([0, 0, 0]); // nothing was updated by the rejected calls
    rejects(() => new nn.BatchNorm2d(3, { momentum: -0.1 }), 'BatchNorm2d: momentum expected a number in [0, 1]');
  });

  it('convOutputSize and samePadding validate and never return negative or NaN sizes', () => {
    expectHcError(() => hc.convOutputSize(1, 5, 1, 0, 0, 1), 'convOutputSize: kernel expected a dilated kernel (5) of at most the padded input size (1)');
    expectHcError(() => hc.samePadding(0, 3, 0, 0), 'samePadding: inSize expected a positive integer, got 0');
    expectHcError(() => hc.samePadding(5, 3, 0), 'samePadding: stride expected a positive integer, got 0');
    expectHcError(() => hc.convOutputSize(5, 3, 1, -1, 0), 'convOutputSize: padBefore expected a non-negative integer, got -1');
    expect(hc.convOutputSize(7, 3, 2, 1, 1)).toBe(4);
    expect(hc.samePadding(5, 4, 2)).toEqual([1, 2]); // out ceil(5/2) = 3, total (3−1)·2 + 4 − 5 = 3, odd pixel after
  });
});

describe('raw RangeError/TypeError cases are HypercolumnErrors', () => {
  it('sizes beyond the guard are rejected before allocation', () => {
    const x = hc.ones([1, 1, 2, 2]);
    const w = hc.ones([1, 1, 1, 1]);
    rejects(() => hc.conv2d(x, w, null, { padding: 2 ** 20 }), 'conv2d', 'expected at most', 'elements');
    rejects(() => hc.conv2d(x, w, null, { padding: 2 ** 20, stride: 2 ** 20 }), 'conv2d: padding expected at most');
    rejects(() => hc.zeros([65536, 65536]), 'zeros: shape expected at most 536870912 elements (2 GiB of float32), got shape [65536, 65536]');
    rejects(() => new nn.Linear(2 ** 31, 1), 'Linear: weight expected at most');
    const column = hc.ones([2 ** 16, 1]);
    const row = hc.ones([1, 2 ** 16]);
    rejects(() => hc.add(column, row), 'add', 'expected at most');
  });

  it('scope, noGrad, keep, assign, fuseConvBatchNormParams with non-tensors / non-functions', () => {
    expectHcError(() => hc.scope(5 as never), 'scope: fn expected a');
    expectHcError(() => hc.noGrad('x' as never), 'noGrad: fn expected a');
    expectHcError(() => hc.keep(null as never), 'keep: tensor expected a Tensor, got null');
    expectHcError(() => hc.ones([2]).assign(null as never), 'assign: value expected a Tensor, got null');
    rejects(() => hc.fuseConvBatchNormParams(null as never, null as never), 'fuseConvBatchNormParams: conv expected an object');
  });
});

describe('no leak on error', () => {
  it('creation options are checked before allocation', () => {
    rejects(() => hc.ones([2, 1], { requiresGrad: 1 as never }), 'ones: requiresGrad expected a boolean, got 1');
    rejects(() => hc.zeros([2], { backend: 3 as never }), 'zeros: backend expected a backend name, got 3');
    rejects(() => hc.tensor([1, 2], [2], { requiresGrad: 'yes' as never }), 'tensor: requiresGrad expected a boolean');
  });

  it('layer constructors leave nothing behind', () => {
    rejects(() => new nn.WSConv2d(3, 4, 1, { eps: NaN }), 'WSConv2d: eps expected a finite number ≥ 0, got NaN');
    rejects(() => new nn.BatchRenorm2d(3, { rMax: 0.5 }), 'BatchRenorm2d: rMax');
    rejects(() => new nn.WSConv2d(3, 4, 1, [] as never), 'WSConv2d: options expected an object, got []');
  });

  it('two backends: linear, frn, batchNorm, add reject the mismatch without leaking', () => {
    const other = (shape: number[]) => hc.ones(shape, { backend: 'hostile-cpu2' });
    const x = hc.ones([2, 3, 2, 2]);
    const x3 = hc.ones([2, 3, 4]);
    const [w, c1, c2, c3, one] = [other([5, 4]), other([3]), other([3]), other([3]), other([1])];
    const [mean, variance] = [hc.zeros([3]), hc.ones([3])];
    rejects(() => hc.linear(x3, w), 'linear', 'backend');
    rejects(() => hc.frn(x, c1), 'frn', 'backend');
    rejects(() => hc.batchNorm(x, c1, c2), 'batchNorm', 'backend');
    rejects(() => hc.batchNorm(x, mean, variance, c3, null, { training: true }), 'batchNorm', 'backend');
    rejects(() => hc.add(x, one), 'add: b expected a tensor on backend "cpu"');
    rejects(() => hc.instanceNorm(x, c1), 'instanceNorm', 'backend');
  });
});

describe('invalid input accepted before is rejected', () => {
  it('truthy non-booleans', () => {
    const x = hc.ones([2, 3]);
    rejects(() => hc.sum(x, 1, 1 as never), 'sum: keepDims expected a boolean, got 1');
    rejects(() => hc.mean(x, 0, 'yes' as never), 'mean: keepDims expected a boolean, got "yes"');
    expectHcError(() => {
      x.requiresGrad = 'yes' as never;
    }, 'requiresGrad: value expected a boolean, got "yes"');
    const gone = hc.ones([1]);
    gone.dispose();
    expectHcError(() => {
      gone.requiresGrad = true;
    }, 'requiresGrad: tensor expected a live tensor');
  });

  it('layers reject bad options at construction', () => {
    rejects(() => new nn.MaxPool2d(-1), 'MaxPool2d: kernelSize expected a positive integer ≤ 1073741824, got -1');
    rejects(() => new nn.AvgPool2d({ kernelSize: 2, padding: 2 }), 'AvgPool2d: padding expected at most half the kernel size');
    rejects(() => new nn.Flatten('3' as never), 'Flatten: startDim expected an integer axis, got "3"');
    rejects(() => new nn.MaxPool1d({ kernelSize: 3, stride: 0 }), 'MaxPool1d: stride expected a positive integer ≤ 1073741824, got 0');
  });
});

describe('messages name the op the user called', () => {
  it('instanceNorm, batchRenorm, zeros, item, conv1d', () => {
    const x = hc.ones([2, 3, 4, 4]);
    const [w, mean, variance] = [hc.ones([3], { backend: 'hostile-cpu2' }), hc.zeros([3], { backend: 'hostile-cpu2' }), hc.ones([3], { backend: 'hostile-cpu2' })];
    rejects(() => hc.instanceNorm(x, w), /^instanceNorm: /);
    rejects(() => hc.batchRenorm(x, mean, variance, null, null, { training: true }), /^batchRenorm: /);
    rejects(() => hc.zeros([-1]), /^zeros: shape\[0\] expected a non-negative integer, got -1/);
    expectHcError(() => hc.ones([2]).item(), /^item: tensor expected 1 element/);
    const gone = hc.ones([1]);
    gone.dispose();
    expectHcError(() => gone.item(), /^item: tensor expected a live tensor/);
    const [x1, w1] = [hc.ones([1, 1, 5]), hc.ones([1, 1, 3])];
    rejects(() => hc.conv1d(x1, w1, null, { padding: -1 }), /^conv1d: padding expected a non-negative integer ≤ 1073741824, got -1$/);
    rejects(() => hc.conv1d(x1, w1, null, { padding: [0, -2] as never }), /^conv1d: padding\[1\] expected a non-negative integer ≤ 1073741824, got -2$/);
  });
});

describe('found by the fuzzer on every backend', () => {
  it('strides, dilations, kernel sizes and paddings above 2^30 are rejected (32-bit index arithmetic in every backend)', () => {
    const [x, w, x1, w1] = [hc.ones([1, 1, 3, 3]), hc.ones([1, 1, 1, 1]), hc.ones([1, 1, 3]), hc.ones([1, 1, 1])];
    rejects(() => hc.conv2d(x, w, null, { stride: 2 ** 31 }), 'conv2d: stride expected a positive integer ≤ 1073741824, got 2147483648');
    rejects(() => hc.conv2d(x, w, null, { dilation: [1, 2 ** 53] }), 'conv2d: dilation[1] expected a positive integer ≤ 1073741824');
    rejects(() => hc.conv1d(x1, w1, null, { stride: 2 ** 30 + 1 }), 'conv1d: stride expected a positive integer ≤ 1073741824');
    rejects(() => hc.maxPool2d(x, { kernelSize: 1, stride: 2 ** 31 }), 'maxPool2d: stride expected a positive integer ≤ 1073741824');
    rejects(() => hc.avgPool1d(x1, { kernelSize: 2 ** 31 }), 'avgPool1d: kernelSize expected a positive integer ≤ 1073741824');
    rejects(() => new nn.Conv2d(1, 1, 1, { stride: 2 ** 31 }), 'Conv2d: stride expected a positive integer ≤ 1073741824');
    rejects(() => hc.conv1d(x1, w1, null, { padding: 2 ** 31 }), 'conv1d: padding expected a non-negative integer ≤ 1073741824');
    // the largest stride still runs: one output per axis
    expect(hc.conv2d(x, w, null, { stride: 2 ** 30 }).shape).toEqual([1, 1, 1, 1]);
  });
});

describe('found by the fuzzer: in-place updates and empty parts', () => {
  it('batchNorm / batchRenorm reject before updating anything: a running statistic on another backend, one tensor as both', () => {
    const x = hc.randn([4, 3, 2, 2], { seed: 3 });
    const mean = hc.tensor([0.5, -0.5, 0.25]);
    const farVar = hc.ones([3], { backend: 'hostile-cpu2' });
    rejects(() => hc.batchNorm(x, mean, farVar, null, null, { training: true }), 'batchNorm: runningVar expected a tensor on backend "cpu" like x, got one on "hostile-cpu2"');
    expect(vals(mean)).toEqual([0.5, -0.5, 0.25]); // the mean was updated before the variance failed, once
    const both = hc.ones([3]);
    rejects(() => hc.batchNorm(x, both, both, null, null, { training: true }), 'batchNorm: runningVar expected a different tensor from runningMean, got the same tensor');
    rejects(() => hc.batchRenorm(x, both, both, null, null, { training: true }), 'batchRenorm: runningVar expected a different tensor from runningMean');
    expect(vals(both)).toEqual([1, 1, 1]);
  });

  it('concat with an empty part is the other parts (it was NaN-filled)', () => {
    const empty = hc.zeros([0, 3]);
    const b = hc.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(vals(hc.concat([empty, b], 0))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(vals(hc.concat([b, empty, b], 0))).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(vals(hc.concat([hc.zeros([2, 0]), b], 1))).toEqual([1, 2, 3, 4, 5, 6]);
    // the gradient reaches the non-empty part
    const w = hc.tensor([1, 2, 3], [1, 3], { requiresGrad: true });
    hc.sum(hc.mul(hc.concat([empty, w], 0), 2)).backward();
    expect(vals(w.grad!)).toEqual([2, 2, 2]);
  });
});

describe('found by the fuzzer: arrays with holes', () => {
  // array methods (forEach, some, map, reduce) skip holes: validation must see them as undefined
  it('every array argument with a hole is rejected at the hole', () => {
    const x = hc.ones([2, 3]);
    const holes = (n: number) => new Array(n) as number[];
    // eslint-disable-next-line no-sparse-arrays
    const holeFirst = [, 1] as unknown as number[];
    rejects(() => hc.reshape(x, holes(2)), 'reshape: shape expected non-negative integers with at most one −1');
    rejects(() => hc.zeros(holes(2)), 'zeros: shape[0] expected a non-negative integer, got undefined');
    rejects(() => hc.tensor([1, 2], holeFirst), 'tensor: shape[0] expected a non-negative integer, got undefined');
    rejects(() => hc.tensor(holeFirst), 'tensor: values[0] expected a number, got undefined');
    rejects(() => hc.permute(x, holeFirst), 'permute: dims[0] expected an integer axis in [-2, 1], got undefined');
    rejects(() => hc.sum(x, holeFirst), 'sum: axis[0] expected an integer axis in [-2, 1], got undefined');
    rejects(() => hc.concat(holeFirst as never), 'concat: tensors[0] expected a Tensor, got undefined');
    const [image, kernel, param] = [hc.ones([1, 1, 3, 3]), hc.ones([1, 1, 1, 1]), hc.ones([1], { requiresGrad: true })];
    rejects(() => hc.conv2d(image, kernel, null, { padding: holeFirst as never }), 'conv2d: padding[0] expected a non-negative integer ≤ 1073741824, got undefined');
    rejects(() => new nn.LayerNorm(holeFirst), 'LayerNorm: normalizedShape[0] expected a positive integer, got undefined');
    rejects(() => new nn.Sequential(new nn.ReLU()).summary(holeFirst), /^summary: shape\[0\] expected a non-negative integer/);
    rejects(() => new optim.Adam([param], { betas: holeFirst as never }), 'Adam: betas[0] expected a number in [0, 1], got undefined');
    rejects(() => new nn.Sequential(...(holeFirst as never[])), 'Sequential: modules[0] expected a Module, got undefined');
  });
});

describe('layer errors name what the user called', () => {
  it('every layer: a bad input fails as "<Layer>.forward: …" (not the op inside), leaving nothing behind', () => {
    const bad = hc.ones([2, 3]);
    const layers: nn.Module[] = [
      new nn.Conv2d(2, 3, 3), new nn.Conv1d(2, 3, 3), new nn.WSConv2d(2, 3, 3), new nn.Linear(4, 2), new nn.MaxPool2d(2), new nn.AvgPool2d(2),
      new nn.MaxPool1d(2), new nn.AvgPool1d(2), new nn.GlobalAvgPool2d(), new nn.Flatten(3), new nn.BatchNorm2d(4), new nn.BatchRenorm2d(4),
      new nn.LayerNorm([4]), new nn.InstanceNorm2d(4), new nn.GroupNorm(2, 4), new nn.FilterResponseNorm2d(4), new nn.BatchNorm1d(4),
      new nn.Dropout(0.5), new nn.ReLU(), new nn.Sigmoid(), new nn.Tanh(), new nn.Residual(new nn.Linear(3, 4)),
    ];
    for (const layer of layers) {
      const name = layer.constructor.name;
      rejects(() => layer.forward('x' as never), `${name}.forward: x expected a Tensor, got "x"`);
      if (!['Dropout', 'ReLU', 'Sigmoid', 'Tanh'].includes(name)) rejects(() => layer.forward(bad), new RegExp(`^${name}\\.forward: \\S`));
    }
  });

  it('inside Sequential the failing layer is named; a user-defined module is named after its class', () => {
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Conv2d(4, 2, 1));
    const x = hc.ones([2, 3]);
    rejects(() => model.forward(x), 'Conv2d.forward: x expected rank 4 (N, C, H, W), got rank 2 with shape [2, 4]');
    class Head extends nn.Module {
      forward(x: hc.Tensor): hc.Tensor {
        return hc.softmax(x, 5);
      }
    }
    rejects(() => new Head().forward(x), /^Head\.forward: dim expected an integer axis/);
  });
});

describe('zero-size inputs of window ops (as PyTorch 1.13: empty spatial axes are refused, empty batch or channels are not)', () => {
  it('conv and pools reject an empty spatial axis whatever the padding, naming the op and the 1-d or 2-d shape', () => {
    const [w, w1, w0, x3, x3x0, x1x0] = [hc.ones([1, 1, 3, 3]), hc.ones([1, 1, 3]), hc.ones([1, 1, 0, 3]), hc.ones([1, 1, 3, 3]), hc.ones([1, 1, 3, 0]), hc.ones([1, 1, 0])];
    rejects(() => hc.conv2d(x3x0, w, null, { padding: 1 }), 'conv2d: x expected non-empty spatial dimensions (zero batch or channels are fine), got [1, 1, 3, 0]');
    rejects(() => hc.conv2d(x3x0, w, null, { padding: 'same' }), 'conv2d: x expected non-empty spatial dimensions');
    rejects(() => hc.conv1d(x1x0, w1, null, { padding: 1 }), 'conv1d: x expected non-empty spatial dimensions (zero batch or channels are fine), got [1, 1, 0]');
    rejects(() => hc.maxPool2d(x3x0, { kernelSize: 3, padding: 1 }), 'maxPool2d: x expected non-empty spatial dimensions');
    rejects(() => hc.avgPool2d(x3x0, { kernelSize: 1 }), 'avgPool2d: x expected non-empty spatial dimensions');
    rejects(() => hc.maxPool1d(x1x0, { kernelSize: 1 }), 'maxPool1d: x expected non-empty spatial dimensions (zero batch or channels are fine), got [1, 1, 0]');
    rejects(() => hc.avgPool1d(x1x0, { kernelSize: 1, padding: 0 }), 'avgPool1d: x expected non-empty spatial dimensions');
    const layer = new nn.Conv2d(1, 1, 3, { padding: 1 });
    rejects(() => layer.forward(x3x0), 'Conv2d.forward: x expected non-empty spatial dimensions');
    // a kernel with an empty axis (PyTorch: "kernel size should be greater than zero")
    rejects(() => hc.conv2d(x3, w0), 'conv2d: w expected kernel sizes of at least 1 (w is [O, C/groups, kh, kw]), got [1, 1, 0, 3]');
  });

  it('empty batch or channels: empty results, or the bias alone (sums over no input channel)', () => {
    const w = hc.ones([2, 1, 3, 3]);
    expect(hc.conv2d(hc.ones([0, 1, 4, 4]), w, null, { padding: 1 }).shape).toEqual([0, 2, 4, 4]);
    const y = hc.conv2d(hc.ones([1, 0, 2, 2]), hc.ones([2, 0, 1, 1]), hc.tensor([3, -1]));
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expect(vals(y)).toEqual([3, 3, 3, 3, -1, -1, -1, -1]); // PyTorch: conv over zero input channels is the bias
    expect(hc.maxPool2d(hc.ones([0, 2, 4, 4]), { kernelSize: 2 }).shape).toEqual([0, 2, 2, 2]);
  });
});

describe('found by the fuzzer: number − tensor', () => {
  it('sub(number, x) leaves only its result behind, with the right values and gradient', () => {
    const x = hc.tensor([1, 2, 3], [3], { requiresGrad: true });
    const before = hc.memory();
    const y = hc.sub(10, x);
    expect(hc.memory().numTensors).toBe(before.numTensors + 1); // −x was left alive
    expect(vals(y)).toEqual([9, 8, 7]);
    hc.sum(y).backward();
    expect(vals(x.grad!)).toEqual([-1, -1, -1]);
  });
});

describe('found by the fuzzer: backend names', () => {
  it('setBackend and registerBackend reject non-strings (a BigInt made JSON.stringify throw a TypeError)', async () => {
    const current = hc.getBackend();
    for (const name of [10n, Symbol.for('x'), 3, null, {}]) {
      await expect(hc.setBackend(name as never)).rejects.toThrow(/^setBackend: backend expected a backend name \(.*\), got /);
    }
    await expect(hc.setBackend('__proto__')).rejects.toThrow(/^setBackend: backend expected one of/);
    expect(hc.getBackend()).toBe(current);
    expectHcError(() => hc.registerBackend(10n as never, () => createCpuBackend()), 'registerBackend: name expected a non-empty string, got 10n');
    expectHcError(() => hc.registerBackend('fuzz-x', 3 as never), 'registerBackend: factory expected a function');
    expectHcError(() => hc.registerBackend('fuzz-x', () => createCpuBackend(), NaN), 'registerBackend: priority expected a finite number, got NaN');
    expect((await hc.listBackends()).map((b) => b.name)).not.toContain('fuzz-x');
  });
});

describe('found by the fuzzer: number operands are float32, as in PyTorch', () => {
  it('mul(x, 1e308) is x · Infinity on every backend (−0 · 1e308 was −0 on cpu, NaN on wasm; PyTorch: NaN)', () => {
    const x = hc.tensor([-0, 0, 1, -2]);
    expect(vals(hc.mul(x, 1e308))).toEqual([NaN, NaN, Infinity, -Infinity]);
    expect(vals(hc.div(x, 1e-320))).toEqual([NaN, NaN, Infinity, -Infinity]); // 1e-320 is 0 in float32
  });
});

describe('found by the fuzzer: class labels as a tensor', () => {
  it('crossEntropy checks a labels tensor where the backend reads synchronously (kernels index memory with it)', () => {
    const logits = hc.randn([3, 4], { seed: 2 });
    for (const bad of [[0, 4, 1], [0, -1, 1], [0, 2.5, 1], [NaN, 0, 0], [0, 0, 2 ** 31]]) {
      const labels = hc.tensor(bad);
      rejects(() => hc.crossEntropy(logits, labels), /^crossEntropy: labels\[\d\] expected an integer class index in \[0, 3\], got /);
    }
    // valid tensor labels give the same loss as the array form
    expectClose([hc.crossEntropy(logits, hc.tensor([3, 0, 1])).item()], [hc.crossEntropy(logits, [3, 0, 1]).item()], 0, 0);
  });
});
