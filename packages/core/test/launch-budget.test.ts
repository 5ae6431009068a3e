/**
 * Launch and upload budget of one training step (DESIGN §2): LeNet-5 with batch norm, SGD with
 * momentum and weight decay, batch 64 — at most 60 kernel launches and 3 uploads (the batch, its
 * labels, and at most the gradient seed). The counts come from core's per-backend counters.
 */
import { describe, expect, it } from 'vitest';
import '@hypercolumn/backend-cpu';
import * as hc from '../src/index.js';
import { lenetBn } from './helpers.js';

describe('launch budget', () => {
  it('one LeNet-5 (+BN) SGD step (momentum, weight decay, batch 64): ≤ 60 launches, ≤ 3 uploads', async () => {
    await hc.setBackend('cpu');
    hc.manualSeed(7);
    const model = lenetBn();
    const opt = new hc.optim.SGD(model, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    const gen = new hc.RandomGenerator(3);
    const images = Float32Array.from({ length: 64 * 28 * 28 }, () => gen.nextFloat());
    const labels = Array.from({ length: 64 }, (_, i) => i % 10);
    const step = (agc: boolean) => {
      const loss = hc.scope(() => {
        opt.zeroGrad();
        const x = hc.tensor(images, [64, 1, 28, 28]);
        const loss = hc.crossEntropy(model.forward(x), labels);
        loss.backward();
        if (agc) hc.optim.adaptiveGradClip(model);
        opt.step();
        return loss;
      });
      loss.dispose();
    };
    step(false); // the first step creates the momentum buffers
    hc.resetLaunchCounts();
    step(false);
    const counts = hc.launchCounts().cpu!;
    console.log(`LeNet-5 (+BN) SGD step: ${counts.launches} launches, ${counts.writes} uploads`, JSON.stringify(counts.kernels));
    expect(counts.launches).toBeLessThanOrEqual(60);
    expect(counts.writes).toBeLessThanOrEqual(3);
    expect(counts.reads).toBe(0);
    // AGC adds one agcUnitClip launch per parameter, nothing else
    hc.resetLaunchCounts();
    step(true);
    const withAgc = hc.launchCounts().cpu!;
    console.log(`with AGC: ${withAgc.launches} launches, ${withAgc.writes} uploads`);
    expect(withAgc.launches).toBe(counts.launches + model.parameters().length);
    expect(withAgc.kernels.agcUnitClip).toBe(model.parameters().length);
    expect(withAgc.writes).toBe(counts.writes);
    model.dispose();
    opt.dispose();
  });
});
