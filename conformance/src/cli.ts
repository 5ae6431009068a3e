#!/usr/bin/env node
/**
 * hypercolumn-conformance [--backends cpu,wasm] [--require wasm] [--quick] [--seed n] [--report <dir>]
 *                         [--bench none|quick|full] [--ops conv2d,maxPool2d] [--json]
 *
 * Imports every installed backend package (a package that is not installed just registers nothing),
 * runs the conformance suite (and optionally the benchmark), prints the report and writes
 * report.json / report.html when --report is given.
 * Exit status: 0 all cells pass, 1 conformance failed or a named backend is unavailable (or an
 * unexpected error), 2 bad arguments.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import * as hc from '@hypercolumn/core';
import { BACKEND_PACKAGES, importBackends, packageOf } from './backends.js';
import { runBench } from './bench/index.js';
import { buildReport, renderTerminal, reportToJson, writeReport } from './report.js';
import { runConformance } from './runner.js';
import type { BenchResult, ConformanceOptions, ConformanceResult } from './types.js';

const USAGE = `usage: hypercolumn-conformance [options]
  --backends <a,b>           backends to test (default: every available backend); each must be available
  --require <a,b>            backends that must be available (added to the tested set); else the run fails
  --quick                    fewer randomised cases
  --seed <n>                 seed of the randomised cases (default: the table's own); others draw new shapes
  --ops <a,b>                only these ops (conformance cases and benchmark workloads)
  --bench none|quick|full    also run the benchmark (default: none)
  --report <dir>             write report.json and report.html into <dir>
  --json                     print the report as JSON instead of tables
  -h, --help                 this text`;

export class UsageError extends Error {}

export interface CliOptions {
  backends?: string[];
  require?: string[];
  quick: boolean;
  seed?: number;
  ops?: string[];
  bench: 'none' | 'quick' | 'full';
  report?: string;
  json: boolean;
  help: boolean;
}

function list(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new UsageError(`${flag} expected a comma-separated list, got ${JSON.stringify(value)}`);
  return items;
}

/** Parses argv (without node and the script); throws UsageError on bad arguments. */
export function parseCli(argv: string[]): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        backends: { type: 'string' },
        require: { type: 'string' },
        quick: { type: 'boolean' },
        seed: { type: 'string' },
        ops: { type: 'string' },
        bench: { type: 'string' },
        report: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const bench = (values.bench as string | undefined) ?? 'none';
  if (bench !== 'none' && bench !== 'quick' && bench !== 'full') throw new UsageError(`--bench expected none, quick or full, got ${JSON.stringify(bench)}`);
  const report = values.report as string | undefined;
  if (report !== undefined && !report.trim()) throw new UsageError('--report expected a directory');
  const seedText = values.seed as string | undefined;
  const seed = seedText === undefined ? undefined : Number(seedText);
  if (seed !== undefined && (!/^\d+$/.test(seedText!.trim()) || !Number.isSafeInteger(seed))) throw new UsageError(`--seed expected a non-negative integer, got ${JSON.stringify(seedText)}`);
  return {
    backends: list('--backends', values.backends as string | undefined),
    require: list('--require', values.require as string | undefined),
    quick: values.quick === true,
    ...(seed !== undefined ? { seed } : {}),
    ops: list('--ops', values.ops as string | undefined),
    bench,
    report,
    json: values.json === true,
    help: values.help === true,
  };
}

function progressBar(label: string) {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {item}`, stream: process.stderr, hideCursor: true, clearOnComplete: true, barsize: 30, noTTYOutput: true, notTTYSchedule: 10_000 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, total: number, item: string) {
      if (!started) {
        bar.start(total, 0, { item: '' });
        started = true;
      }
      bar.setTotal(total);
      bar.update(done, { item: item.slice(0, 60) });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`hypercolumn-conformance: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }

  const imported = await importBackends();
  for (const f of imported.failed) process.stderr.write(`hypercolumn-conformance: ${f.pkg} is installed but failed to load: ${f.error}\n`);
  // A named backend that is unavailable fails the run with its reason (the others still run).
  const infos = await hc.listBackends();
  const unavailable = new Map<string, string>();
  for (const name of new Set([...(opts.backends ?? []), ...(opts.require ?? [])])) {
    const info = infos.find((b) => b.name === name);
    if (info?.available) continue;
    const pkg = packageOf(name);
    const why = info
      ? info.reason ?? 'no reason given'
      : imported.failed.find((f) => f.pkg === pkg)?.error ?? (imported.absent.includes(pkg) ? `${pkg} is not installed` : `not registered (no package ${pkg} among ${BACKEND_PACKAGES.join(', ')})`);
    unavailable.set(name, why);
    process.stderr.write(`hypercolumn-conformance: backend "${name}" is unavailable: ${why}\n`);
  }

  const bar = progressBar('conformance');
  const conformanceOptions: ConformanceOptions = {
    quick: opts.quick,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.backends ? { backends: opts.backends } : {}),
    ...(opts.require ? { require: opts.require } : {}),
    ...(opts.ops ? { ops: opts.ops } : {}),
    onCase: (r, done, total) => bar.update(done, total, `${r.backend} ${r.id}`),
  };
  let conformance: ConformanceResult;
  try {
    conformance = await runConformance(conformanceOptions);
  } finally {
    bar.stop();
  }
  // the report says why in the CLI's words (not installed / failed to load), not just "not registered"
  for (const b of conformance.backends) if (unavailable.has(b.name)) b.reason = unavailable.get(b.name)!;

  let bench: BenchResult[] = [];
  if (opts.bench !== 'none') {
    const benchBar = progressBar('benchmark  ');
    try {
      bench = await runBench({
        mode: opts.bench,
        ...(opts.backends ? { backends: opts.backends } : {}),
        ...(opts.ops ? { ops: opts.ops } : {}),
        onResult: (r, done, total) => benchBar.update(done, total, `${r.workload} ${r.runner}×${r.threads}`),
        onMeasure: ({ workload, runner, round, rounds }, done, total) =>
          benchBar.update(done, total, `${workload} ${runner.name}×${runner.threads}${rounds > 1 ? ` ${round}/${rounds}` : ''}`),
      });
    } finally {
      benchBar.stop();
    }
  }

  const report = buildReport(conformance, bench);
  if (opts.json) process.stdout.write(reportToJson(report));
  else process.stdout.write(renderTerminal(report, { color: process.stdout.isTTY === true }));
  if (opts.report) {
    const paths = await writeReport(opts.report, report);
    process.stderr.write(`report written: ${paths.json}, ${paths.html}\n`);
  }
  return conformance.ok ? 0 : 1;
}

/** Exit once stdout is flushed (peers' worker threads would otherwise keep the process alive). */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  main(process.argv.slice(2)).then(exit, (err: unknown) => {
    process.stderr.write(`hypercolumn-conformance: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.HYPERCOLUMN_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    exit(1);
  });
}
