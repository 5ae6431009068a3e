import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import '@hypercolumn/backend-cpu';
import { hypercolumnRunner, makeInputs, PytorchProcess, pythonCandidates, pytorchRunner, runBench, type Workload } from '../src/bench/index.js';
import type { ConvSpec, WorkloadSpec } from '../src/bench/workloads.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hc-pytorch-peer-'));

/** An executable standing in for python: runs `body` (a Node ES module) on the JSON-lines protocol. */
function fakePython(name: string, body: string): string {
  const js = path.join(dir, `${name}.mjs`);
  writeFileSync(js, body);
  const exe = path.join(dir, name);
  writeFileSync(exe, `#!/bin/sh\nexec "${process.execPath}" "${js}"\n`);
  chmodSync(exe, 0o755);
  return exe;
}

const lines = `import readline from 'node:readline';
const rl = readline.createInterface({ input: process.stdin });
const send = (o) => process.stdout.write(JSON.stringify(o) + '\\n');`;

/** A python without torch: the script's import-failure line, then exit 3. */
const noTorch = fakePython('no-torch', `${lines}
send({ id: 0, ok: false, error: "ModuleNotFoundError: No module named 'torch'" });
process.exit(3);`);

/** A protocol-correct peer with fixed timings: 2 ms per run, conv2d only. */
const fixedTimes = fakePython('fixed-times', `${lines}
rl.on('line', (line) => {
  const r = JSON.parse(line);
  if (r.type === 'hello') return send({ id: r.id, ok: true, torch: '0.0-fake', mkldnn: false, cores: 2 });
  if (r.type === 'prepare') return send(r.workload.op === 'conv2d' ? { id: r.id, ok: true } : { id: r.id, ok: true, skip: 'fake: conv2d only' });
  if (r.type === 'measure') return send({ id: r.id, ok: true, times: Array(r.options.minRuns).fill(2 * r.threads) });
  send({ id: r.id, ok: true });
});`);

const spec: ConvSpec = { type: 'conv', dims: 2, x: [1, 2, 6, 6], w: [3, 2, 3, 3], stride: 1, pad: 1, groups: 1, pass: 'forward' };
const tinyConv: Workload = { id: 'tiny conv', op: 'conv2d', description: '', kind: 'compute', quick: true, spec, flops: 2 * 3 * 36 * 2 * 9 };
const tinyPool: Workload = { id: 'tiny pool', op: 'maxPool2d', description: '', kind: 'memory', quick: true, spec: { type: 'maxPool2d', x: [1, 2, 4, 4], kernel: 2, stride: 2, pad: 0 }, bytes: 4 * 40 };

describe('finding a Python with torch', () => {
  it('tries $HC_PYTHON first, then /usr/bin/python3, then python3', () => {
    expect(pythonCandidates({ HC_PYTHON: '/opt/py/bin/python' })).toEqual(['/opt/py/bin/python', '/usr/bin/python3', 'python3']);
    expect(pythonCandidates({})).toEqual(['/usr/bin/python3', 'python3']);
  });

  it('says why for every candidate when none has torch', async () => {
    const why = await PytorchProcess.start([path.join(dir, 'no-such-python'), noTorch]);
    expect(typeof why).toBe('string');
    expect(why).toMatch(/^no Python with PyTorch/);
    expect(why).toMatch(/no-such-python: .*ENOENT/);
    expect(why).toMatch(/no-torch: .*No module named 'torch'/);
  });

  it('is skipped with that reason in the benchmark, the other runners unaffected', async () => {
    const results = await runBench({
      mode: 'quick',
      custom: { workloads: [tinyConv], only: true },
      runners: [hypercolumnRunner('cpu'), pytorchRunner(1, { python: [noTorch] })],
      measure: { warmup: 0, minRuns: 1, maxRuns: 1, minTimeMs: 0 },
    });
    expect(results[0]!.skipped).toBeUndefined();
    expect(results[1]).toMatchObject({ runner: 'pytorch', threads: 1, runs: 0 });
    expect(results[1]!.skipped).toMatch(/No module named 'torch'/);
    expect(results[0]!.ratioToBestPeer).toBeUndefined();
  });
});

describe('the protocol, against a fake peer', () => {
  it('one child serves every thread count; its times become results and ratios; skips pass through', async () => {
    const results = await runBench({
      mode: 'quick',
      custom: { workloads: [tinyConv, tinyPool], only: true },
      runners: [hypercolumnRunner('cpu'), pytorchRunner(1, { python: [fixedTimes] }), pytorchRunner(2, { python: [fixedTimes] })],
      measure: { warmup: 1, minRuns: 4, maxRuns: 4, minTimeMs: 0 },
    });
    const peer = results.filter((r) => r.runner === 'pytorch');
    expect(peer.map((r) => [r.workload, r.threads, r.medianMs, r.runs, r.skipped])).toEqual([
      ['tiny conv', 1, 2, 4, undefined],
      ['tiny conv', 2, 4, 4, undefined],
      ['tiny pool', 1, 0, 0, 'fake: conv2d only'],
      ['tiny pool', 2, 0, 0, 'fake: conv2d only'],
    ]);
    expect(peer[0]!.gflops).toBeCloseTo(tinyConv.flops! / (2 * 1e6), 12);
    expect(peer[0]!.about).toBe(`PyTorch 0.0-fake in ${fixedTimes}; oneDNN (mkldnn) not available`);
    const { renderTerminal } = await import('../src/report.js');
    const text = renderTerminal({ date: '', machine: { cpu: 'x', cores: 2, node: 'v20', platform: 'linux' }, conformance: { backends: [], cases: [], matrix: {}, references: [], ok: true }, bench: results } as never);
    expect(text.match(/^ {2}pytorch: PyTorch 0\.0-fake in .*; oneDNN \(mkldnn\) not available$/gm)).toHaveLength(1); // once per runner
    const own = results.find((r) => r.runner === 'hypercolumn:cpu' && r.workload === 'tiny conv')!;
    expect(own.bestPeer).toBe('pytorch');
    expect(own.ratioToBestPeer).toBeCloseTo(2 / own.medianMs, 9);
  });
});

// The real peer: only where some Python imports torch (CI has none; the reason is printed).
const real = await PytorchProcess.start();
if (typeof real === 'string') console.log(`pytorch peer tests skipped: ${real}`);
else real.close();
const hasTorch = typeof real !== 'string';

describe.skipIf(!hasTorch)('PyTorch computes what hypercolumn cpu computes', () => {
  const conv = (x: number[], w: number[], stride: number, pad: number, pass: ConvSpec['pass']): ConvSpec => ({ type: 'conv', dims: x.length === 3 ? 1 : 2, x, w, stride, pad, groups: 1, pass });
  const x4: [number, number, number, number] = [2, 4, 3, 3];
  const cases: [string, WorkloadSpec][] = [
    ['conv2d', conv([2, 3, 7, 7], [4, 3, 3, 3], 2, 1, 'forward')],
    ['conv1d', conv([2, 3, 9], [4, 3, 3], 1, 1, 'forward')],
    ['conv2dBackpropInput', conv([2, 3, 7, 7], [4, 3, 3, 3], 2, 1, 'backpropInput')],
    ['conv2dBackpropFilter', conv([2, 3, 7, 7], [4, 3, 3, 3], 2, 1, 'backpropFilter')],
    ['maxPool2d', { type: 'maxPool2d', x: [2, 3, 8, 8], kernel: 3, stride: 2, pad: 1 }],
    ['avgPool2d', { type: 'avgPool2d', x: [2, 3, 8, 8], kernel: 3, stride: 2, pad: 1 }],
    ['globalAvgPool2d', { type: 'globalAvgPool', x: [2, 3, 5, 5] }],
    ['batchNorm', { type: 'norm', norm: 'batchNorm', x: x4, pass: 'forward' }],
    ['instanceNorm', { type: 'norm', norm: 'instanceNorm', x: x4, pass: 'forward' }],
    ['groupNorm', { type: 'norm', norm: 'groupNorm', groups: 2, x: x4, pass: 'forward' }],
    ['layerNorm', { type: 'norm', norm: 'layerNorm', x: x4, pass: 'forward' }],
    ['batchNormBackward', { type: 'norm', norm: 'batchNorm', x: x4, pass: 'backward' }],
    ['instanceNormBackward', { type: 'norm', norm: 'instanceNorm', x: x4, pass: 'backward' }],
    ['groupNormBackward', { type: 'norm', norm: 'groupNorm', groups: 2, x: x4, pass: 'backward' }],
    ['layerNormBackward', { type: 'norm', norm: 'layerNorm', x: x4, pass: 'backward' }],
  ];
  const torch = pytorchRunner(1, { sendInputs: true });
  const ours = hypercolumnRunner('cpu');
  afterAll(() => torch.close?.());

  it.each(cases)('%s (first output, same inputs)', async (op, s) => {
    const w: Workload = { id: `tiny ${op}`, op, description: '', kind: 'memory', quick: true, spec: s };
    const inputs = makeInputs(w, 11);
    expect(await ours.init()).toBeUndefined();
    expect(await torch.init()).toBeUndefined();
    const outputs: Float32Array[] = [];
    for (const r of [ours, torch]) {
      const prepared = await r.prepare(w, inputs);
      if (typeof prepared === 'string') throw new Error(`${r.name}: ${prepared}`);
      outputs.push((await prepared.run()) as Float32Array);
      await prepared.dispose();
    }
    const [ref, y] = outputs as [Float32Array, Float32Array];
    expect(y.length).toBe(ref.length);
    expect(ref.length).toBeGreaterThan(0);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(y[i]! - ref[i]!), `[${i}]`).toBeLessThan(1e-4 * (1 + Math.abs(ref[i]!)));
  });

  it('trains LeNet-5 one step per run: a loss near ln 10 that falls on the same batch', async () => {
    const { WORKLOADS } = await import('../src/bench/index.js');
    const lenet = WORKLOADS.find((w) => w.id === 'LeNet-5 training step')!;
    expect(await torch.init()).toBeUndefined();
    const prepared = await torch.prepare(lenet, makeInputs(lenet));
    if (typeof prepared === 'string') throw new Error(prepared);
    const losses: number[] = [];
    for (let k = 0; k < 8; k++) losses.push(((await prepared.run()) as Float32Array)[0]!);
    await prepared.dispose();
    expect(Math.abs(losses[0]! - Math.log(10))).toBeLessThan(0.3);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  });

  it('times in Python with the run counts asked for, and reports torch and oneDNN', async () => {
    expect(await torch.init()).toBeUndefined();
    const info = torch.info()!;
    expect(info.torch).toMatch(/^\d+\.\d+/);
    expect(typeof info.mkldnn).toBe('boolean');
    const prepared = await torch.prepare(tinyConv, makeInputs(tinyConv));
    if (typeof prepared === 'string') throw new Error(prepared);
    const times = await prepared.measure!({ warmup: 1, minRuns: 5, maxRuns: 5, minTimeMs: 0 });
    await prepared.dispose();
    expect(times).toHaveLength(5);
    for (const t of times) expect(t).toBeGreaterThan(0);
  });
});
