import { describe, expect, it } from 'vitest';
import '@hypercolumn/backend-cpu';
import { benchRunners, filterFromHWIO, fromChannelsLast, hypercolumnRunner, makeInputs, tfjsWebgpuRunner, type Workload } from '../src/bench/index.js';
import type { ConvSpec, WorkloadSpec } from '../src/bench/workloads.js';

// tfjs-webgpu needs a WebGPU adapter (Node: the `webgpu` package with a Vulkan driver, e.g. lavapipe
// via packages/backend-webgpu/scripts/setup-vulkan.sh); without one these tests are skipped, saying why.
const peer = tfjsWebgpuRunner(1);
const why = await peer.init();
if (why) console.log(`tfjs-webgpu peer tests skipped: ${why}`);

describe('the tfjs-webgpu peer', () => {
  // CI sets HC_REQUIRE_WEBGPU where an adapter must start: there a missing one fails instead of skipping
  it.skipIf(!process.env.HC_REQUIRE_WEBGPU)('starts (HC_REQUIRE_WEBGPU is set)', () => {
    expect(why).toBeUndefined();
  });

  it('is only added beside hypercolumn webgpu, paired with it at the thread count it reports', async () => {
    expect((await benchRunners({ backends: ['cpu'], threads: [1] })).map((r) => r.name)).not.toContain('tfjs-webgpu');
    const runners = await benchRunners({ backends: ['webgpu'], peers: ['tfjs-webgpu'], threads: [1] });
    expect(runners.map((r) => r.name)).toEqual(['hypercolumn:webgpu', 'tfjs-webgpu']);
  });
});

describe.skipIf(!!why)('tfjs-webgpu computes what hypercolumn cpu computes', () => {
  const conv = (pass: ConvSpec['pass']): ConvSpec => ({ type: 'conv', dims: 2, x: [2, 3, 7, 7], w: [4, 3, 3, 3], stride: 2, pad: 1, groups: 1, pass });
  const cases: [string, WorkloadSpec, number[], 'nchw' | 'oihw'][] = [
    ['conv2d', conv('forward'), [2, 4, 4, 4], 'nchw'],
    ['conv2dBackpropInput', conv('backpropInput'), [2, 3, 7, 7], 'nchw'],
    ['conv2dBackpropFilter', conv('backpropFilter'), [4, 3, 3, 3], 'oihw'],
    ['maxPool2d', { type: 'maxPool2d', x: [2, 3, 8, 8], kernel: 3, stride: 2, pad: 1 }, [2, 3, 4, 4], 'nchw'],
    ['globalAvgPool2d', { type: 'globalAvgPool', x: [2, 3, 5, 5] }, [2, 3, 1, 1], 'nchw'],
    ['batchNorm', { type: 'norm', norm: 'batchNorm', x: [2, 4, 3, 3], pass: 'forward' }, [2, 4, 3, 3], 'nchw'],
  ];
  const ours = hypercolumnRunner('cpu');

  it.each(cases)('%s', async (op, spec, outShape, layout) => {
    const w: Workload = { id: `tiny ${op}`, op, description: '', kind: 'memory', quick: true, spec };
    const inputs = makeInputs(w, 5);
    expect(await ours.init()).toBeUndefined();
    const outputs: Float32Array[] = [];
    for (const r of [ours, peer]) {
      const prepared = await r.prepare(w, inputs);
      if (typeof prepared === 'string') throw new Error(`${r.name}: ${prepared}`);
      expect(prepared.firstMs).toBeGreaterThan(0); // the first call is timed while preparing
      outputs.push((await prepared.run()) as Float32Array);
      await prepared.dispose();
    }
    const ref = outputs[0]!;
    const y = layout === 'oihw' ? filterFromHWIO(outputs[1]!, outShape) : fromChannelsLast(outputs[1]!, outShape);
    expect(ref.length).toBe(outShape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i]! - ref[i]!), `[${i}]`).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
  });
});
