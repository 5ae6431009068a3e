/**
 * Fused kernels used by core: nn.Sequential runs Conv2d + ReLU as conv2dFused (training too, with
 * gradients) and eval-mode BatchNorm2d + ReLU as batchNormInferenceFused; FilterResponseNorm2d runs
 * frnTlu when nothing is recorded. Each against the unfused chain of functional ops.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '@hypercolumn/backend-cpu';
import * as hc from '../src/index.js';
import { expectClose, expectHcError, vals } from './helpers.js';

const nn = hc.nn;
beforeAll(() => hc.setBackend('cpu'));

function launched(fn: () => hc.Tensor): [hc.Tensor, Record<string, number>] {
  hc.resetLaunchCounts();
  const y = fn();
  return [y, hc.launchCounts().cpu?.kernels ?? {}];
}

describe('fused kernels in layers', () => {
  it('Conv2d + ReLU in a Sequential: one conv2dFused launch, same values and gradients as conv2d then relu', () => {
    hc.manualSeed(1);
    const conv = new nn.Conv2d(2, 3, 3, { padding: 1 });
    const net = new nn.Sequential(conv, new nn.ReLU());
    const x = hc.randn([2, 2, 5, 5], { seed: 2 });
    const [y, kernels] = launched(() => net.forward(x));
    expect(kernels).toEqual({ conv2dFused: 1 });
    const ref = hc.relu(hc.conv2d(x, conv.weight, conv.bias, { padding: 1 }));
    expect(vals(y)).toEqual(vals(ref));
    const r = hc.randn([2, 3, 5, 5], { seed: 3 });
    hc.sum(hc.mul(y, r)).backward();
    const fusedGrads = [conv.weight.grad!, conv.bias!.grad!].map(vals);
    net.zeroGrad();
    hc.sum(hc.mul(ref, r)).backward();
    expectClose(fusedGrads[0]!, vals(conv.weight.grad!), 1e-6, 1e-7);
    expectClose(fusedGrads[1]!, vals(conv.bias!.grad!), 1e-6, 1e-7);
    for (const t of [x, y, ref, r]) t.dispose();
    net.dispose();
  });

  it('conv2d(…, {activation: "relu"}) is the functional form; a bad activation is a HypercolumnError', () => {
    const x = hc.randn([1, 1, 4, 4], { seed: 4 }), w = hc.randn([2, 1, 3, 3], { seed: 5 });
    const fused = hc.conv2d(x, w, null, { activation: 'relu' });
    const ref = hc.relu(hc.conv2d(x, w));
    expect(vals(fused)).toEqual(vals(ref));
    expectHcError(() => hc.conv2d(x, w, null, { activation: 'gelu' as never }), 'conv2d: activation expected "none" or "relu", got "gelu"');
    for (const t of [x, w, fused, ref]) t.dispose();
  });

  it('BatchNorm2d (eval) + ReLU: one batchNormInferenceFused launch; training mode keeps batch statistics', () => {
    hc.manualSeed(6);
    const bn = new nn.BatchNorm2d(3);
    const net = new nn.Sequential(bn, new nn.ReLU());
    const x = hc.randn([2, 3, 4, 4], { seed: 7 });
    const [train, trainKernels] = launched(() => net.forward(x));
    expect(trainKernels.batchNormTraining).toBe(1);
    net.eval();
    const [y, kernels] = launched(() => net.forward(x));
    expect(kernels).toEqual({ batchNormInferenceFused: 1 });
    const ref = hc.relu(hc.batchNorm(x, bn.runningMean, bn.runningVar, bn.weight, bn.bias));
    expectClose(vals(y), vals(ref), 1e-6, 1e-7);
    hc.sum(y).backward();
    const g = vals(bn.weight!.grad!);
    net.zeroGrad();
    hc.sum(ref).backward();
    expectClose(g, vals(bn.weight!.grad!), 1e-5, 1e-6);
    for (const t of [x, y, ref, train]) t.dispose();
    net.dispose();
  });

  it('FilterResponseNorm2d runs frnTlu when nothing is recorded, frn + tlu otherwise', () => {
    hc.manualSeed(8);
    const layer = new nn.FilterResponseNorm2d(3);
    const x = hc.randn([2, 3, 4, 4], { seed: 9 });
    const [recorded, k1] = launched(() => layer.forward(x));
    expect(k1.frn).toBe(1);
    expect(k1.tlu).toBe(1);
    const [inference, k2] = launched(() => hc.noGrad(() => layer.forward(x)));
    expect(k2.frnTlu).toBe(1);
    expect(k2.frn).toBeUndefined();
    expectClose(vals(inference), vals(recorded), 1e-6, 1e-7);
    for (const t of [x, recorded, inference]) t.dispose();
    layer.dispose();
  });
});
