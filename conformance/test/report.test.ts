import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main, parseCli, UsageError } from '../src/cli.js';
import { goalSummary, parseReport, renderHtml, renderTerminal, reportToJson, writeReport } from '../src/report.js';
import type { BenchResult, Report } from '../src/types.js';

function synthetic(): Report {
  return {
    date: '2026-01-02T03:04:05.000Z',
    machine: { cpu: 'Test CPU <AVX-512>', cores: 2, node: 'v20.0.0', platform: 'linux-x64' },
    conformance: {
      backends: [
        { name: 'cpu', available: true, kernels: ['conv2d', 'maxPool2d'], resolution: { conv2d: 'native', maxPool2d: 'composite', relu: 'native' }, tested: true, required: false },
        { name: 'wasm', available: true, kernels: ['conv2d'], resolution: { conv2d: 'native', maxPool2d: 'fallback', relu: 'missing' }, tested: true, required: true },
        { name: 'webgpu', available: false, reason: 'no adapter', kernels: [], resolution: {}, tested: false, required: false },
      ],
      cases: [
        { id: 'conv2d/basic#1', op: 'conv2d', backend: 'cpu', status: 'pass', reference: 'float64', worstRatio: 0.02, worstAbsError: 1e-7 },
        { id: 'conv2d/basic#1', op: 'conv2d', backend: 'wasm', status: 'fail', reference: 'float64', worstRatio: 3.25, worstAbsError: 0.004, message: 'off by one' },
        { id: 'maxPool2d/basic#1', op: 'maxPool2d', backend: 'wasm', status: 'fallback', reference: 'float64', worstRatio: 0, fallbackKernels: ['maxPool2d'] },
        { id: 'x<y>', op: 'a<b>', backend: 'cpu', status: 'error', reference: 'onnxruntime', worstRatio: Infinity, message: 'NaN out' },
      ],
      matrix: {
        cpu: {
          conv2d: { status: 'pass', cases: 12, passed: 12, worstRatio: 0.02, worstAbsError: 1e-7, route: 'native', kernels: { conv2d: 'native' } },
          maxPool2d: { status: 'pass', cases: 4, passed: 4, worstRatio: 0, worstAbsError: 0, route: 'composite', kernels: { maxPool2d: 'composite' } },
          'a<b>': { status: 'error', cases: 1, passed: 0, worstRatio: Infinity },
        },
        wasm: {
          conv2d: { status: 'fail', cases: 12, passed: 11, worstRatio: 3.25, worstAbsError: 0.004, route: 'native', kernels: { conv2d: 'native' } },
          maxPool2d: { status: 'fallback', cases: 4, passed: 4, worstRatio: 0, worstAbsError: 0, route: 'fallback', kernels: { maxPool2d: 'fallback' } },
          'a<b>': { status: 'missing', cases: 1, passed: 0, route: 'missing', kernels: { x: 'missing' } },
        },
      },
      references: ['float64', 'finite-difference', 'onnxruntime'],
      ok: false,
    },
    bench: [
      { workload: 'conv2d A', op: 'conv2d', runner: 'hypercolumn:cpu', threads: 1, medianMs: 50, runs: 10, gflops: 4.62, ratioToBestPeer: 0.1, bestPeer: 'onnxruntime-node' },
      { workload: 'conv2d A', op: 'conv2d', runner: 'tfjs-cpu', threads: 1, medianMs: 600, runs: 10, gflops: 0.385 },
      { workload: 'conv2d A', op: 'conv2d', runner: 'onnxruntime-node', threads: 1, medianMs: 5, runs: 10, gflops: 46.2 },
      { workload: 'conv2d A', op: 'conv2d', runner: 'tfjs-wasm', threads: 2, medianMs: 0, runs: 0, skipped: 'single-threaded in Node' },
      { workload: 'batchNorm', op: 'batchNorm', runner: 'hypercolumn:cpu', threads: 1, medianMs: 8, runs: 10, gbps: 6.4 },
      { workload: 'batchNorm', op: 'batchNorm', runner: 'tfjs-cpu', threads: 1, medianMs: 40, runs: 10, gbps: 1.28 },
    ],
  };
}

describe('report.json', () => {
  it('round-trips, non-finite numbers included', () => {
    const r = synthetic();
    const text = reportToJson(r);
    expect(() => JSON.parse(text)).not.toThrow();
    expect(parseReport(text)).toEqual(r);
    expect(parseReport(text).conformance.matrix.cpu!['a<b>']!.worstRatio).toBe(Infinity);
  });

  it('writes report.json and report.html', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hc-report-'));
    try {
      const paths = await writeReport(path.join(dir, 'nested'), synthetic());
      expect(parseReport(await readFile(paths.json, 'utf8'))).toEqual(synthetic());
      expect(await readFile(paths.html, 'utf8')).toMatch(/^<!doctype html>/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('report.html', () => {
  const html = renderHtml(synthetic());

  it('is self-contained: inline CSS and SVG, no external assets or scripts', () => {
    expect(html).toMatch(/<style>[^<]+<\/style>/);
    expect(html).not.toMatch(/<link\b|<script\b|<img\b|<iframe\b|@import|url\(|\bsrc=|\bhref=/i);
    // The only URL is the SVG namespace.
    const urls = html.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
  });

  it('colours every matrix cell by status and shows the worst error', () => {
    const cells = [...html.matchAll(/<td class="cell (\w+)" data-backend="([^"]+)" data-op="([^"]+)"[^>]*>(.*?)<\/td>/g)].map((m) => ({
      status: m[1], backend: m[2], op: m[3], text: m[4]!,
    }));
    const cell = (backend: string, op: string) => cells.find((c) => c.backend === backend && c.op === op);
    expect(cells).toHaveLength(6);
    expect(cell('cpu', 'conv2d')).toMatchObject({ status: 'pass' });
    expect(cell('cpu', 'conv2d')!.text).toContain('12/12');
    expect(cell('cpu', 'conv2d')!.text).toContain('worst |err| 1.00e-7');
    expect(cell('wasm', 'conv2d')).toMatchObject({ status: 'fail' });
    expect(cell('wasm', 'conv2d')!.text).toContain('worst ratio 3.25');
    expect(cell('wasm', 'conv2d')!.text).toContain('worst |err| 0.00400');
    expect(cell('wasm', 'maxPool2d')).toMatchObject({ status: 'fallback' });
    expect(cell('wasm', 'a&lt;b&gt;')).toMatchObject({ status: 'missing' });
    expect(cell('cpu', 'a&lt;b&gt;')!.text).toContain('Infinity');
    expect(html).toContain('.pass{background:');
    expect(html).toContain('webgpu: not available — no adapter');
  });

  it('says how each cell ran: native / composite / fallback / missing', () => {
    expect(html).toMatch(/data-backend="cpu" data-op="maxPool2d" data-route="composite" title="[^"]*kernels maxPool2d: composite"/);
    expect(html).toMatch(/data-backend="wasm" data-op="maxPool2d" data-route="fallback"/);
    expect(html).toContain('wasm: launched 1 native, 0 composite, 1 fallback (maxPool2d), 1 missing (x) kernels; contract 1 native, 0 composite, 1 fallback, 1 missing');
  });

  it('escapes text and draws one SVG chart per workload', () => {
    expect(html).toContain('Test CPU &lt;AVX-512&gt;');
    expect(html).not.toContain('<AVX-512>');
    expect(html.match(/<svg\b/g)).toHaveLength(2);
    expect(html).toContain('0.100× best peer');
    expect(html).toContain('tfjs-wasm ×2: skipped — single-threaded in Node');
  });
});

describe('terminal report', () => {
  const text = renderTerminal(synthetic());

  it('shows the matrix with pass / FAIL (worst ratio) / fallback / missing', () => {
    const conv = text.split('\n').find((l) => l.startsWith('conv2d '))!;
    expect(conv).toMatch(/pass 12\/12\s+FAIL 3\.25/);
    const pool = text.split('\n').find((l) => l.startsWith('maxPool2d '))!;
    expect(pool).toMatch(/pass 4\/4 \(composite\)\s+fallback 4\/4/);
    expect(text).toContain('backend cpu: launched 1 native, 1 composite (maxPool2d), 0 fallback, 0 missing kernels; contract 2 native, 1 composite, 0 fallback, 0 missing');
    expect(text).toContain('backend webgpu: not available (no adapter)');
    const required = synthetic();
    required.conformance.backends[2]!.required = true;
    expect(renderTerminal(required)).toContain('backend webgpu: not available (required: the run fails) (no adapter)');
    expect(text).toMatch(/a<b>\s+error\s+missing/);
    expect(text).toContain('FAILED');
    expect(text).toContain('wasm conv2d/basic#1 [float64] fail worst ratio 3.25');
    expect(text).not.toMatch(/\x1b\[/); // no colour unless asked
    expect(renderTerminal(synthetic(), { color: true })).toMatch(/\x1b\[32mpass 12\/12 *\x1b\[0m  \x1b\[31mFAIL 3\.25 *\x1b\[0m/);
  });

  it('lists the benchmark, the skipped runners and the goals', () => {
    expect(text).toMatch(/conv2d A\s+hypercolumn:cpu\s+1\s+50\.0\s+10\s+4\.62 GFLOP\/s\s+0\.100× onnxruntime-node/);
    expect(text).toMatch(/batchNorm\s+tfjs-cpu\s+1\s+40\.0\s+10\s+1\.28 GB\/s/);
    expect(text).toContain('tfjs-wasm ×2: single-threaded in Node (conv2d A)');
    expect(text).toMatch(/cpu: kernels ≥ 5× tfjs-cpu .*: met: min 5\.00× \(batchNorm\), geomean 7\.75× over 2 workloads/);
    expect(text).toMatch(/cpu: LeNet-5 training ≥ 30× tfjs-cpu: no comparable peer results/);
  });

  it('computes the goal ratios against the named peer', () => {
    const [cpu] = goalSummary(synthetic().bench);
    expect(cpu).toMatchObject({ backend: 'cpu', workloads: 2, min: 5, threshold: 5, met: true, worst: 'batchNorm' });
    expect(cpu!.geomean).toBeCloseTo(Math.sqrt(12 * 5), 12);
  });

  it("checks each backend against DESIGN §5: each goal's peers, workloads, thread counts and statistic", () => {
    const r = (workload: string, op: string, runner: string, threads: number, medianMs: number, bestMs = medianMs): BenchResult => ({ workload, op, runner, threads, medianMs, bestMs, runs: 10 });
    const bench = [
      // native: conv A beats onnxruntime-node on the median (3.35 / 1.2) but not on the best run (1.14 / 1.2)
      r('conv2d A', 'conv2d', 'hypercolumn:native@1t', 1, 1.2, 1.2),
      r('conv2d A', 'conv2d', 'onnxruntime-node', 1, 3.35, 1.14),
      r('conv2d A', 'conv2d', 'pytorch', 1, 5.2),
      // pools and norms count against PyTorch only, conv against onnxruntime-node only
      r('maxPool2d', 'maxPool2d', 'hypercolumn:native@1t', 1, 2),
      r('maxPool2d', 'maxPool2d', 'pytorch', 1, 3),
      r('maxPool2d', 'maxPool2d', 'onnxruntime-node', 1, 1),
      // wasm: 1.2× at 1 thread against the faster of two peers; 1.8× onnxruntime-web at 2 threads
      r('conv2d A', 'conv2d', 'hypercolumn:wasm@1t', 1, 10),
      r('conv2d A', 'conv2d', 'tfjs-wasm', 1, 13),
      r('conv2d A', 'conv2d', 'onnxruntime-web', 1, 20),
      r('conv2d A', 'conv2d', 'hypercolumn:wasm@2t', 2, 5),
      r('conv2d A', 'conv2d', 'onnxruntime-web', 2, 8),
      r('conv2d A', 'conv2d', 'tfjs-wasm', 2, 1), // another peer: not this goal's
      // training: its own lines (native ≥ 1× PyTorch at 1 thread), never in the pools-and-norms line
      r('LeNet-5 training step', 'lenetTrainingStep', 'hypercolumn:native@1t', 1, 20),
      r('LeNet-5 training step', 'lenetTrainingStep', 'pytorch', 1, 16),
    ];
    const goals = goalSummary(bench);
    const line = (backend: string, goal: RegExp) => goals.find((g) => g.backend === backend && goal.test(g.goal))!;
    expect(line('native@1t', /convs ≥ 1× onnxruntime-node, median/)).toMatchObject({ met: true, workloads: 1, stat: 'median' });
    expect(line('native@1t', /convs ≥ 1× onnxruntime-node, median/).min).toBeCloseTo(3.35 / 1.2, 12);
    expect(line('native@1t', /best of runs/)).toMatchObject({ met: false, worst: 'conv2d A', stat: 'best' });
    expect(line('native@1t', /best of runs/).min).toBeCloseTo(1.14 / 1.2, 12);
    expect(line('native@1t', /pools and norms ≥ 1× PyTorch/)).toMatchObject({ met: true, workloads: 1, min: 1.5 });
    expect(line('native@1t', /LeNet-5 training ≥ 1× PyTorch/)).toMatchObject({ met: false, workloads: 1, min: 0.8 });
    expect(line('native@1t', /every peer/)).toMatchObject({ met: false, workloads: 3, min: 0.5, worst: 'maxPool2d' });
    expect(line('wasm@1t', /convs ≥ 1\.2×/)).toMatchObject({ met: true, workloads: 1, min: 1.3 });
    // goals of another thread count are not listed for a variant; a goal without peer results says so
    expect(line('wasm@1t', /1\.8× onnxruntime-web/)).toBeUndefined();
    expect(line('wasm@2t', /convs ≥ 1\.2×/)).toBeUndefined();
    expect(line('native@1t', /LeNet/)).toBeDefined();
    expect(line('wasm@1t', /pools and norms/)).toMatchObject({ workloads: 0 });
    expect(line('wasm@1t', /pools and norms/).met).toBeUndefined();
    expect(line('wasm@2t', /1\.8× onnxruntime-web/)).toMatchObject({ met: false, workloads: 1, min: 1.6 });
    const text = renderTerminal({ ...synthetic(), bench });
    expect(text).toMatch(/native@1t: convs ≥ 1× onnxruntime-node, best of runs: NOT met: min 0\.950× \(conv2d A\)/);
    expect(text).toMatch(/wasm@1t: pools and norms ≥ 1× both .*: no comparable peer results/);
    expect(text).not.toMatch(/wasm@1t: ≥ 1\.8×/);
  });
});

describe('command line', () => {
  it('parses the documented flags', () => {
    expect(parseCli(['--backends', 'cpu,wasm', '--quick', '--report', 'out', '--bench', 'quick', '--ops', 'conv2d,maxPool2d', '--json'])).toEqual({
      backends: ['cpu', 'wasm'], quick: true, report: 'out', bench: 'quick', ops: ['conv2d', 'maxPool2d'], json: true, help: false,
    });
    expect(parseCli([])).toMatchObject({ bench: 'none', quick: false, json: false });
  });

  it('parses --seed (a non-negative integer) and passes it to the table', () => {
    expect(parseCli(['--seed', '103'])).toMatchObject({ seed: 103 });
    expect(parseCli([])).not.toHaveProperty('seed');
    for (const bad of ['', '-1', '1.5', 'x', '1e3', '99999999999999999']) expect(() => parseCli(['--seed', bad]), bad).toThrow(UsageError);
  });

  it('parses --require', () => {
    expect(parseCli(['--require', 'wasm,native'])).toMatchObject({ require: ['wasm', 'native'] });
    expect(() => parseCli(['--require', ''])).toThrow(UsageError);
  });

  it('fails the run when a required backend is unavailable, with its reason; the others still run', async () => {
    const errors: string[] = [];
    const out: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (errors.push(String(s)), true));
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      expect(await main(['--require', 'nosuch', '--ops', 'relu', '--quick'])).toBe(1);
      expect(await main(['--backends', 'cpu', '--ops', 'relu', '--quick'])).toBe(0);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
    expect(errors.join('')).toContain('backend "nosuch" is unavailable: not registered (no package @hypercolumn/backend-nosuch');
    expect(out.join('')).toContain('backend nosuch: not available (required: the run fails) (not registered (no package @hypercolumn/backend-nosuch');
    expect(out.join('')).toMatch(/relu\s+pass \d+\/\d+/);
  });

  it('rejects bad arguments with a usage error', () => {
    expect(() => parseCli(['--bench', 'fast'])).toThrow(UsageError);
    expect(() => parseCli(['--bench', 'fast'])).toThrow(/--bench expected none, quick or full, got "fast"/);
    expect(() => parseCli(['--frobnicate'])).toThrow(UsageError);
    expect(() => parseCli(['--backends', ','])).toThrow(UsageError);
    expect(() => parseCli(['extra'])).toThrow(UsageError);
  });
});
