/**
 * The conformance report: a terminal table (agreement matrix, then the benchmark), `report.json`
 * (the `Report` type) and a self-contained `report.html` (inline CSS, inline SVG charts, no
 * external assets).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchResult, CellStatus, ConformanceResult, KernelRoute, MatrixCell, Report } from './types.js';

// ------------------------------------------------------------------ building and (de)serialising

export function machineInfo(): Report['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() || 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function buildReport(conformance: ConformanceResult, bench: BenchResult[], date = new Date()): Report {
  return { date: date.toISOString(), machine: machineInfo(), conformance, bench };
}

const NON_FINITE = new Set(['Infinity', '-Infinity', 'NaN']);

/** JSON text of a report; non-finite numbers (a NaN output's worst ratio) survive as strings. */
export function reportToJson(report: Report): string {
  return JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2) + '\n';
}

/** Parses `reportToJson` output back into a `Report` (restoring non-finite numbers). */
export function parseReport(json: string): Report {
  const numeric = new Set(['worstRatio', 'worstAbsError', 'medianMs', 'bestMs', 'firstMs', 'gflops', 'gbps', 'imagesPerSecond', 'ratioToBestPeer', 'peakFraction']);
  return JSON.parse(json, (k, v) => (numeric.has(k) && typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v)) as Report;
}

/** Writes report.json and report.html into `dir` (created if needed); returns their paths. */
export async function writeReport(dir: string, report: Report): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  await writeFile(json, reportToJson(report));
  await writeFile(html, renderHtml(report));
  return { json, html };
}

// ------------------------------------------------------------------ shared helpers

/** Ops (matrix columns of the report) in first-seen order, and backends. */
export function matrixAxes(c: ConformanceResult): { backends: string[]; ops: string[] } {
  const backends = Object.keys(c.matrix);
  for (const b of c.backends) if (!backends.includes(b.name)) backends.push(b.name);
  const ops: string[] = [];
  for (const b of backends) for (const op of Object.keys(c.matrix[b] ?? {})) if (!ops.includes(op)) ops.push(op);
  return { backends, ops };
}

function fmtNum(v: number | undefined, digits = 3): string {
  if (v === undefined) return '';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 1e-3) return v.toExponential(2);
  return v.toPrecision(digits);
}

/** " (composite)" when a cell's kernels were not all the backend's own (fallback and missing say so in their status). */
const routeNote = (cell: MatrixCell) => (cell.route === 'composite' ? ' (composite)' : '');

/**
 * Kernels of a backend's cells by route (native / composite / fallback / missing), each kernel under
 * its worst route over the run.
 */
export function kernelRoutes(c: ConformanceResult, backend: string): Record<KernelRoute, string[]> {
  const worst: Record<string, KernelRoute> = {};
  const order: KernelRoute[] = ['native', 'composite', 'fallback', 'missing'];
  for (const cell of Object.values(c.matrix[backend] ?? {})) {
    for (const [k, r] of Object.entries(cell.kernels ?? {})) if (!(k in worst) || order.indexOf(r) > order.indexOf(worst[k]!)) worst[k] = r;
  }
  const out: Record<KernelRoute, string[]> = { native: [], composite: [], fallback: [], missing: [] };
  for (const k of Object.keys(worst).sort()) out[worst[k]!].push(k);
  return out;
}

/** Short text of a matrix cell: "pass 3/3", "pass 3/3 (composite)", "FAIL ×3.2", "fallback 2/2", "missing", "error". */
export function cellText(cell: MatrixCell | undefined): string {
  if (!cell) return '—';
  switch (cell.status) {
    case 'pass':
      return `pass ${cell.passed}/${cell.cases}${routeNote(cell)}`;
    case 'fail':
      // The worst ratio when tolerance was the reason, else how many cases failed (leaks, errors).
      return cell.worstRatio !== undefined && cell.worstRatio > 1 ? `FAIL ${fmtNum(cell.worstRatio)}` : `FAIL ${cell.passed}/${cell.cases}`;
    case 'fallback':
      return `fallback ${cell.passed}/${cell.cases}`;
    case 'missing':
      return 'missing';
    case 'error':
      return 'error';
  }
}

/** Speed of a result in its unit ("4.42 GFLOP/s", "12.1 GB/s"). */
export function speedText(r: BenchResult): string {
  if (r.skipped) return 'skipped';
  if (r.gflops !== undefined) return `${fmtNum(r.gflops)} GFLOP/s`;
  if (r.gbps !== undefined) return `${fmtNum(r.gbps)} GB/s`;
  if (r.imagesPerSecond !== undefined) return `${fmtNum(r.imagesPerSecond)} images/s`;
  return '';
}

/** "82 % of 58.0" for a conv row of a backend with a peak probe, else empty. */
export function peakText(r: BenchResult): string {
  if (r.skipped || r.peakFraction === undefined || r.peakGflops === undefined) return '';
  return `${(100 * r.peakFraction).toFixed(0)} % of ${fmtNum(r.peakGflops)}`;
}

const runnerLabel = (r: BenchResult) => `${r.runner} ×${r.threads}`;

/** Workloads in first-seen order with their results. */
function byWorkload(bench: BenchResult[]): Map<string, BenchResult[]> {
  const m = new Map<string, BenchResult[]>();
  for (const r of bench) {
    const list = m.get(r.workload) ?? [];
    list.push(r);
    m.set(r.workload, list);
  }
  return m;
}

/** Each runner's description (`about`), once per runner, in first-seen order. */
export function runnerAbouts(bench: BenchResult[]): [string, string][] {
  const m = new Map<string, string>();
  for (const r of bench) if (r.about && !m.has(r.runner)) m.set(r.runner, r.about);
  return [...m];
}

/** Skip reasons grouped: the same runner skipping many workloads for one reason is listed once. */
function skipNotes(bench: BenchResult[]): { runner: string; reason: string; workloads: string[] }[] {
  const m = new Map<string, { runner: string; reason: string; workloads: string[] }>();
  for (const r of bench) {
    if (!r.skipped) continue;
    const key = `${runnerLabel(r)}\u0000${r.skipped}`;
    const e = m.get(key) ?? { runner: runnerLabel(r), reason: r.skipped, workloads: [] };
    e.workloads.push(r.workload);
    m.set(key, e);
  }
  return [...m.values()];
}

export interface GoalLine {
  backend: string;
  goal: string;
  /** The peer compared with, per workload: the fastest of `peers` at the same thread count. */
  peers: string[];
  /** The ratio the goal asks for (peer time / hypercolumn time). */
  threshold: number;
  /** Which time is compared: the median (default) or the best of the runs. */
  stat: 'median' | 'best';
  /** Minimum and geometric mean of peerMs / ownMs over the workloads both ran. */
  min?: number;
  geomean?: number;
  /** The workload of the minimum. */
  worst?: string;
  /** min ≥ threshold (undefined: no comparable result). */
  met?: boolean;
  workloads: number;
}

const isConv = (r: BenchResult) => r.op.startsWith('conv');
const isTraining = (r: BenchResult) => r.op === 'lenetTrainingStep';
/** Pools and norms: the kernels that are not convolutions. */
const isPoolOrNorm = (r: BenchResult) => !isConv(r) && !isTraining(r);

interface Goal {
  goal: string;
  peers: string[];
  threshold: number;
  stat?: 'median' | 'best';
  /** Which workloads the goal covers (default: all). */
  covers?: (r: BenchResult) => boolean;
  /** 1: one thread only; 'many': more than one thread only (default: every thread count). */
  threads?: 1 | 'many';
}

/** DESIGN §5's table (must-reach goals; aims in words): one line per goal and backend. */
export const GOALS: Record<string, Goal[]> = {
  cpu: [
    { goal: 'kernels ≥ 5× tfjs-cpu (aim 10×)', peers: ['tfjs-cpu'], threshold: 5, covers: (r) => !isTraining(r) },
    { goal: 'LeNet-5 training ≥ 30× tfjs-cpu', peers: ['tfjs-cpu'], threshold: 30, covers: isTraining },
  ],
  wasm: [
    { goal: 'convs ≥ 1.2× the faster of tfjs-wasm and onnxruntime-web at 1 thread', peers: ['tfjs-wasm', 'onnxruntime-web'], threshold: 1.2, covers: isConv, threads: 1 },
    { goal: 'pools and norms ≥ 1× both of tfjs-wasm and onnxruntime-web at 1 thread', peers: ['tfjs-wasm', 'onnxruntime-web'], threshold: 1, covers: isPoolOrNorm, threads: 1 },
    { goal: '≥ 1.8× onnxruntime-web at all cores (aim ≥ 80 % of the SIMD ceiling)', peers: ['onnxruntime-web'], threshold: 1.8, threads: 'many' },
    { goal: 'LeNet-5 training ≥ half of PyTorch CPU at 1 thread', peers: ['pytorch'], threshold: 0.5, covers: isTraining, threads: 1 },
  ],
  native: [
    { goal: 'convs ≥ 1× onnxruntime-node, median', peers: ['onnxruntime-node'], threshold: 1, covers: isConv },
    { goal: 'convs ≥ 1× onnxruntime-node, best of runs', peers: ['onnxruntime-node'], threshold: 1, covers: isConv, stat: 'best' },
    { goal: 'pools and norms ≥ 1× PyTorch CPU', peers: ['pytorch'], threshold: 1, covers: isPoolOrNorm },
    { goal: 'LeNet-5 training ≥ 1× PyTorch CPU at 1 thread', peers: ['pytorch'], threshold: 1, covers: isTraining, threads: 1 },
    { goal: 'aim: ≥ 1.2× every peer (and ≥ 90 % of FMA peak on conv A/C)', peers: ['onnxruntime-node', 'onnxruntime-web', 'tfjs-cpu', 'tfjs-wasm', 'pytorch'], threshold: 1.2 },
  ],
  webgpu: [{ goal: 'convs and LeNet-5 training ≥ 1× tfjs-webgpu on the same adapter', peers: ['tfjs-webgpu'], threshold: 1, covers: (r) => isConv(r) || isTraining(r) }],
};

const timeOf = (r: BenchResult, stat: 'median' | 'best') => (stat === 'best' ? r.bestMs ?? r.medianMs : r.medianMs);

/** DESIGN §5's goals as measured: each hypercolumn backend against the peers each of its goals names. */
export function goalSummary(bench: BenchResult[]): GoalLine[] {
  const lines: GoalLine[] = [];
  const backends = [...new Set(bench.filter((r) => r.runner.startsWith('hypercolumn:')).map((r) => r.runner.slice('hypercolumn:'.length)))];
  for (const b of backends) {
    const own = bench.filter((r) => r.runner === `hypercolumn:${b}`);
    const atThreads = (g: Goal, threads: number) => (g.threads === 1 ? threads === 1 : g.threads === 'many' ? threads > 1 : true);
    for (const g of GOALS[b.split('@')[0]!] ?? []) {
      // a goal for another thread count than this variant ran at is not its goal (wasm@2t has no 1-thread goal)
      if (!own.some((r) => atThreads(g, r.threads))) continue;
      const stat = g.stat ?? 'median';
      const ratios: { ratio: number; workload: string }[] = [];
      for (const r of bench) {
        if (r.runner !== `hypercolumn:${b}` || r.skipped || !(r.medianMs > 0)) continue;
        if (g.covers && !g.covers(r)) continue;
        if (!atThreads(g, r.threads)) continue;
        const peer = bench.filter((p) => g.peers.includes(p.runner) && !p.skipped && p.workload === r.workload && p.threads === r.threads && p.medianMs > 0);
        if (!peer.length) continue;
        ratios.push({ ratio: Math.min(...peer.map((p) => timeOf(p, stat))) / timeOf(r, stat), workload: r.workload });
      }
      const worst = ratios.reduce<(typeof ratios)[number] | undefined>((a, x) => (!a || x.ratio < a.ratio ? x : a), undefined);
      lines.push({
        backend: b,
        goal: g.goal,
        peers: g.peers,
        threshold: g.threshold,
        stat,
        workloads: ratios.length,
        ...(worst
          ? {
              min: worst.ratio,
              worst: worst.workload,
              met: worst.ratio >= g.threshold,
              geomean: Math.exp(ratios.reduce((s, x) => s + Math.log(x.ratio), 0) / ratios.length),
            }
          : {}),
      });
    }
  }
  return lines;
}

/** "met: min 1.30× (conv2d E), geomean 2.01× over 6 workloads" or "no comparable peer results". */
export function goalText(g: GoalLine): string {
  if (!g.workloads) return 'no comparable peer results';
  return `${g.met ? 'met' : 'NOT met'}: min ${fmtNum(g.min)}× (${g.worst}), geomean ${fmtNum(g.geomean)}× over ${g.workloads} workload${g.workloads === 1 ? '' : 's'}`;
}

// ------------------------------------------------------------------ terminal

function table(rows: string[][], align: ('l' | 'r')[] = [], decorate?: (row: number, col: number, padded: string) => string): string {
  const width = (s: string) => [...s].length;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => width(r[i] ?? ''))));
  const line = (r: string[], ri: number) =>
    r
      .map((c, i) => {
        const padded = align[i] === 'r' ? ' '.repeat(widths[i]! - width(c)) + c : c + ' '.repeat(widths[i]! - width(c));
        return decorate && ri > 0 ? decorate(ri - 1, i, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const sep = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(rows[0]!, 0), sep, ...rows.slice(1).map((r, i) => line(r, i + 1))].join('\n');
}

/** "12 native, 2 composite (frnTlu, sgdStep), 0 fallback, 0 missing" over the kernels the run launched. */
function routeLine(routes: Record<KernelRoute, string[]>): string {
  return (Object.keys(routes) as KernelRoute[]).map((r) => `${routes[r].length} ${r}${r !== 'native' && routes[r].length ? ` (${routes[r].join(', ')})` : ''}`).join(', ') + ' kernels';
}

/** "40 native, 25 composite, 0 fallback, 0 missing" over every kernel of the contract (`listBackends()`). */
function contractLine(resolution: Record<string, KernelRoute> | undefined): string {
  const counts: Record<KernelRoute, number> = { native: 0, composite: 0, fallback: 0, missing: 0 };
  for (const r of Object.values(resolution ?? {})) counts[r]++;
  return (Object.keys(counts) as KernelRoute[]).map((r) => `${counts[r]} ${r}`).join(', ');
}

const COLORS: Record<CellStatus, string> = { pass: '32', fail: '31', fallback: '33', missing: '90', error: '35' };

/** The terminal report: agreement matrix (ops × backends), failing cases, benchmark, goals. */
export function renderTerminal(report: Report, options: { color?: boolean; maxFailures?: number } = {}): string {
  const color = options.color ?? false;
  const paint = (status: CellStatus | undefined, s: string) => (color && status ? `\x1b[${COLORS[status]}m${s}\x1b[0m` : s);
  const out: string[] = [];
  const m = report.machine;
  out.push(`hypercolumn conformance — ${report.date} — ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}`, '');
  const c = report.conformance;
  const { backends, ops } = matrixAxes(c);
  out.push(`Agreement matrix (${c.cases.length} cases): ${c.ok ? 'OK' : 'FAILED'}`);
  for (const b of c.backends) {
    if (!b.available) out.push(`  backend ${b.name}: not available${b.required ? ' (required: the run fails)' : ''} (${b.reason ?? 'no reason given'})`);
    else if (b.tested) out.push(`  backend ${b.name}: launched ${routeLine(kernelRoutes(c, b.name))}; contract ${contractLine(b.resolution)}`);
  }
  if (ops.length) {
    const rows = [['op', ...backends]];
    for (const op of ops) rows.push([op, ...backends.map((b) => cellText(c.matrix[b]?.[op]))]);
    // Colour after padding, so escape codes do not break the alignment.
    const text = table(rows, [], (row, col, padded) => {
      const status = col > 0 ? c.matrix[backends[col - 1]!]?.[ops[row]!]?.status : undefined;
      return status ? paint(status, padded) : padded;
    }).split('\n');
    out.push(...text);
  }
  const failures = c.cases.filter((x) => x.status === 'fail' || x.status === 'error');
  if (failures.length) {
    const max = options.maxFailures ?? 20;
    out.push('', `Failing cases (${failures.length}${failures.length > max ? `, first ${max}` : ''}):`);
    for (const f of failures.slice(0, max)) {
      out.push(`  ${f.backend} ${f.id} [${f.reference}] ${f.status}${f.worstRatio !== undefined ? ` worst ratio ${fmtNum(f.worstRatio)}` : ''}${f.worstAbsError !== undefined ? ` |err| ${fmtNum(f.worstAbsError)}` : ''}${f.message ? ` — ${f.message}` : ''}`);
    }
  }
  if (report.bench.length) {
    out.push('', 'Benchmark (first call, then the median of timed runs after warm-up; times include reading the output back):');
    const rows = [['workload', 'runner', 'threads', 'first ms', 'median ms', 'runs', 'speed', 'of peak', 'vs best peer']];
    for (const r of report.bench) {
      if (r.skipped) continue;
      rows.push([
        r.workload, r.runner, String(r.threads), fmtNum(r.firstMs), fmtNum(r.medianMs), String(r.runs), speedText(r), peakText(r),
        r.ratioToBestPeer !== undefined ? `${fmtNum(r.ratioToBestPeer)}× ${r.bestPeer}` : '',
      ]);
    }
    out.push(table(rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l']));
    const abouts = runnerAbouts(report.bench);
    if (abouts.length) {
      out.push('', 'Runners:');
      for (const [runner, about] of abouts) out.push(`  ${runner}: ${about}`);
    }
    const notes = skipNotes(report.bench);
    if (notes.length) {
      out.push('', 'Skipped:');
      for (const n of notes) out.push(`  ${n.runner}: ${n.reason} (${n.workloads.length === 1 ? n.workloads[0] : `${n.workloads.length} workloads`})`);
    }
    const goals = goalSummary(report.bench);
    if (goals.length) {
      out.push('', 'Goals (DESIGN §5), ratio = peer time / hypercolumn time:');
      for (const g of goals) {
        out.push(`  ${g.backend}: ${g.goal}: ${goalText(g)}`);
      }
    }
  }
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------ HTML

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:0 0 .3rem} h2{font-size:1.2rem;margin:2rem 0 .6rem} h3{font-size:1rem;margin:1.2rem 0 .3rem}
.meta{color:#5b6475} .ok{color:#17803d;font-weight:600} .bad{color:#b42318;font-weight:600}
table{border-collapse:collapse;margin:.4rem 0} th,td{border:1px solid #d7dce4;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f8} td.num{text-align:right;font-variant-numeric:tabular-nums}
td.cell{min-width:7rem} td.cell small{display:block;color:inherit;opacity:.8}
.pass{background:#dcf5e3;color:#14532d} .fail{background:#fde2e1;color:#7f1d1d;font-weight:600}
.fallback{background:#fff3cd;color:#6b4e00} .missing{background:#eceef2;color:#5b6475} .error{background:#f3d9f7;color:#5b1a66;font-weight:600}
.chart{margin:.2rem 0 1rem} .chart text{font:12px system-ui,sans-serif;fill:#1d2330} .skip{color:#5b6475;font-size:.9em}
.legend span{display:inline-block;padding:.1rem .5rem;margin-right:.4rem;border-radius:3px}
`;

function matrixHtml(c: ConformanceResult): string {
  const { backends, ops } = matrixAxes(c);
  if (!ops.length) return '<p class="meta">No conformance cases ran.</p>';
  const head = `<tr><th>op</th>${backends.map((b) => `<th>${escapeHtml(b)}</th>`).join('')}</tr>`;
  const rows = ops.map((op) => {
    const cells = backends.map((b) => {
      const cell = c.matrix[b]?.[op];
      if (!cell) return '<td class="cell missing">—</td>';
      const err = cell.worstAbsError !== undefined ? `worst |err| ${fmtNum(cell.worstAbsError)}` : '';
      const ratio = cell.worstRatio !== undefined ? `worst ratio ${fmtNum(cell.worstRatio)}` : '';
      const kernels = Object.entries(cell.kernels ?? {}).map(([k, r]) => `${k}: ${r}`).join(', ');
      const title = [`${cell.passed}/${cell.cases} cases pass`, ratio, err, kernels && `kernels ${kernels}`].filter(Boolean).join(', ');
      const route = cell.route ? `<small>${escapeHtml(cell.route)}</small>` : '';
      return `<td class="cell ${cell.status}" data-backend="${escapeHtml(b)}" data-op="${escapeHtml(op)}" data-route="${escapeHtml(cell.route ?? '')}" title="${escapeHtml(title)}">${escapeHtml(cell.status)} ${cell.passed}/${cell.cases}${route}${ratio ? `<small>${escapeHtml(ratio)}</small>` : ''}${err ? `<small>${escapeHtml(err)}</small>` : ''}</td>`;
    });
    return `<tr><th>${escapeHtml(op)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="matrix">${head}${rows.join('')}</table>`;
}

const BAR_COLORS = ['#2563eb', '#0891b2', '#7c3aed', '#db2777', '#ea580c', '#65a30d', '#475569', '#ca8a04'];

/** Inline SVG horizontal bar chart of one workload's speeds (GFLOP/s or GB/s). */
export function workloadChart(results: BenchResult[]): string {
  const ran = results.filter((r) => !r.skipped && (r.gflops ?? r.gbps ?? r.imagesPerSecond) !== undefined);
  if (!ran.length) return '';
  const unit = ran[0]!.gflops !== undefined ? 'GFLOP/s' : ran[0]!.gbps !== undefined ? 'GB/s' : 'images/s';
  const value = (r: BenchResult) => r.gflops ?? r.gbps ?? r.imagesPerSecond ?? 0;
  const max = Math.max(...ran.map(value), 1e-9);
  const labelW = 210, barW = 420, rowH = 22, w = labelW + barW + 250, h = ran.length * rowH + 8;
  const runners = [...new Set(results.map((r) => r.runner))];
  const bars = ran.map((r, i) => {
    const y = 4 + i * rowH;
    const len = Math.max(1, (value(r) / max) * barW);
    const fill = r.runner.startsWith('hypercolumn:') ? '#16a34a' : BAR_COLORS[runners.indexOf(r.runner) % BAR_COLORS.length];
    const note = r.ratioToBestPeer !== undefined ? ` (${fmtNum(r.ratioToBestPeer)}× best peer)` : '';
    return (
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(runnerLabel(r))}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${len.toFixed(1)}" height="${rowH - 6}" fill="${fill}"><title>${escapeHtml(`${runnerLabel(r)}: ${fmtNum(r.medianMs)} ms, ${speedText(r)}${note}`)}</title></rect>` +
      `<text x="${(labelW + len + 6).toFixed(1)}" y="${y + 15}">${escapeHtml(`${fmtNum(value(r))} ${unit}${note}`)}</text>`
    );
  });
  return `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeHtml(unit)} per runner">${bars.join('')}</svg>`;
}

function benchHtml(bench: BenchResult[]): string {
  if (!bench.length) return '<p class="meta">The benchmark did not run.</p>';
  const parts: string[] = [];
  for (const [workload, results] of byWorkload(bench)) {
    parts.push(`<h3>${escapeHtml(workload)} <span class="meta">(${escapeHtml(results[0]!.op)})</span></h3>`);
    parts.push(workloadChart(results));
    const skips = results.filter((r) => r.skipped);
    if (skips.length) parts.push(`<ul class="skip">${skips.map((r) => `<li>${escapeHtml(runnerLabel(r))}: skipped — ${escapeHtml(r.skipped!)}</li>`).join('')}</ul>`);
  }
  const rows = bench
    .filter((r) => !r.skipped)
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.workload)}</td><td>${escapeHtml(r.runner)}</td><td class="num">${r.threads}</td><td class="num">${fmtNum(r.firstMs)}</td><td class="num">${fmtNum(r.medianMs)}</td><td class="num">${r.runs}</td><td class="num">${escapeHtml(speedText(r))}</td><td class="num">${escapeHtml(peakText(r))}</td><td>${r.ratioToBestPeer !== undefined ? `${fmtNum(r.ratioToBestPeer)}× ${escapeHtml(r.bestPeer ?? '')}` : ''}</td></tr>`,
    );
  parts.push(
    ...(runnerAbouts(bench).length ? [`<ul class="meta">${runnerAbouts(bench).map(([runner, about]) => `<li>${escapeHtml(runner)}: ${escapeHtml(about)}</li>`).join('')}</ul>`] : []),
    '<h3>All measurements</h3>',
    `<table><tr><th>workload</th><th>runner</th><th>threads</th><th>first call ms</th><th>median ms</th><th>runs</th><th>speed</th><th>% of peak GFLOP/s</th><th>vs best peer</th></tr>${rows.join('')}</table>`,
  );
  const goals = goalSummary(bench);
  if (goals.length) {
    parts.push(
      '<h3>Goals (DESIGN §5)</h3><table><tr><th>backend</th><th>goal</th><th>met</th><th>min</th><th>worst workload</th><th>geomean</th><th>workloads</th></tr>' +
        goals
          .map(
            (g) =>
              `<tr><td>${escapeHtml(g.backend)}</td><td>${escapeHtml(g.goal)}</td><td class="${g.met === undefined ? '' : g.met ? 'ok' : 'bad'}">${g.met === undefined ? '—' : g.met ? 'met' : 'NOT met'}</td><td class="num">${g.min !== undefined ? fmtNum(g.min) + '×' : '—'}</td><td>${escapeHtml(g.worst ?? '')}</td><td class="num">${g.geomean !== undefined ? fmtNum(g.geomean) + '×' : '—'}</td><td class="num">${g.workloads}</td></tr>`,
          )
          .join('') +
        '</table>',
    );
  }
  return parts.join('\n');
}

/** The whole report as one self-contained HTML page. */
export function renderHtml(report: Report): string {
  const c = report.conformance;
  const m = report.machine;
  const unavailable = c.backends.filter((b) => !b.available);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>hypercolumn conformance report</title><style>${CSS}</style></head>
<body>
<h1>hypercolumn conformance report</h1>
<p class="meta">${escapeHtml(report.date)} · ${escapeHtml(m.cpu)} · ${m.cores} cores · Node ${escapeHtml(m.node)} · ${escapeHtml(m.platform)}</p>
<h2>Agreement matrix <span class="${c.ok ? 'ok' : 'bad'}">${c.ok ? 'OK' : 'FAILED'}</span> <span class="meta">(${c.cases.length} cases)</span></h2>
<p class="legend"><span class="pass">pass</span><span class="fail">fail (worst ratio)</span><span class="fallback">fallback to cpu</span><span class="missing">missing</span><span class="error">error</span></p>
<p class="meta">Under each cell: how the row's kernels ran on that backend — native (its own kernel), composite (a composition in core from its own kernels), fallback (copied to cpu), missing (no route). Hover for each kernel.</p>
${unavailable.length ? `<ul class="skip">${unavailable.map((b) => `<li>${escapeHtml(b.name)}: not available${b.required ? ' (required: the run fails)' : ''} — ${escapeHtml(b.reason ?? 'no reason given')}</li>`).join('')}</ul>` : ''}
<ul class="meta">${c.backends.filter((b) => b.tested).map((b) => `<li>${escapeHtml(b.name)}: launched ${escapeHtml(routeLine(kernelRoutes(c, b.name)))}; contract ${escapeHtml(contractLine(b.resolution))}</li>`).join('')}</ul>
${matrixHtml(c)}
<h2>Benchmark</h2>
<p class="meta">First call (one-time work such as webgpu pipeline compilation included), then the median of timed runs after warm-up; every runner's time includes reading its output back into JavaScript. Ratios are best-peer time / hypercolumn time at the same thread count (&gt; 1: hypercolumn is faster).</p>
${benchHtml(report.bench)}
</body></html>
`;
}
