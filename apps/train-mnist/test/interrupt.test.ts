// Ctrl-C, atomic checkpoints and the help text (issue 9): the interrupted CLI restores the terminal,
// says what it was doing and exits 130; --save never leaves a half-written file; every numeric
// option's range in --help is the range the parser enforces.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as hc from '@hypercolumn/core';
import '@hypercolumn/backend-cpu';
import { onInterrupt, RESTORE_TERMINAL, type Activity } from '../src/cli.js';
import { saveModelFile, temporaryPath } from '../src/checkpoint.js';
import { buildModel } from '../src/models.js';
import { parseOptions, RANGES, USAGE, UsageError } from '../src/options.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

describe('Ctrl-C', () => {
  it('stops the bar, restores cursor and line wrap on a terminal, names the phase and the unsaved file, exits 130', () => {
    let stopped = 0;
    const written: string[] = [];
    const errors: string[] = [];
    let code: number | undefined;
    const activity: Activity = { phase: 'training epoch 2/5 (640/8000 images)', pendingSave: 'model.hcm', bar: { stop: () => stopped++ } as never };
    onInterrupt(activity, { out: () => {}, err: (t) => errors.push(t), tty: true }, { isTTY: true, write: (s) => written.push(s) }, (c) => (code = c));
    expect(stopped).toBe(1);
    expect(written.join('')).toBe(RESTORE_TERMINAL);
    expect(RESTORE_TERMINAL).toBe('\x1b[?25h\x1b[?7h'); // DECTCEM show cursor, DECAWM auto-wrap on
    expect(errors.join('\n')).toMatch(/interrupted \(Ctrl-C\) while training epoch 2\/5 \(640\/8000 images\); --save model\.hcm was not written/);
    expect(code).toBe(130);
  });

  it('writes no escape codes when stderr is not a terminal', () => {
    const written: string[] = [];
    onInterrupt({ phase: 'evaluating' }, { out: () => {}, err: () => {}, tty: false }, { isTTY: false, write: (s) => written.push(s) }, () => {});
    expect(written).toEqual([]);
  });

  // the real signal: the process must reach its handler while training (the training loop yields)
  it.runIf(existsSync(cli))('a SIGINT during training ends the process with 130 and the message', async () => {
    const child = spawn(process.execPath, [cli, '--backend', 'cpu', '--epochs', '50', '--limit', '8000', '--verbose'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const started = new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('backend cpu')) resolve();
      });
    });
    await started;
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/train-mnist: interrupted \(Ctrl-C\) while (training epoch 1\/50|loading|evaluating)/);
  });
});

describe('--save writes atomically', () => {
  it('replaces the file through a temporary in the same directory and leaves no temporary behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-mnist-save-'));
    const file = join(dir, 'model.hcm');
    writeFileSync(file, 'previous checkpoint');
    expect(dirname(temporaryPath(file))).toBe(dir);
    hc.manualSeed(1);
    const net = buildModel('lenet');
    saveModelFile(file, { model: 'lenet', mean: 0.1, std: 0.3 }, net);
    expect(readFileSync(file).subarray(0, 4).toString()).not.toBe('prev');
    expect(readdirSync(dir)).toEqual(['model.hcm']);
    net.dispose();
  });

  it('a failed write keeps the previous file and removes the temporary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-mnist-save-'));
    const file = join(dir, 'model.hcm');
    writeFileSync(file, 'previous checkpoint');
    const net = buildModel('lenet');
    // a directory where the temporary file would go makes the write fail
    const blocker = temporaryPath(file);
    mkdirSync(blocker);
    expect(() => saveModelFile(file, { model: 'lenet' }, net)).toThrow(UsageError);
    expect(readFileSync(file, 'utf8')).toBe('previous checkpoint');
    net.dispose();
  });
});

describe('--help states the ranges the parser enforces', () => {
  const flags = Object.keys(RANGES) as (keyof typeof RANGES)[];
  for (const flag of flags) {
    it(`--${flag}`, () => {
      const r = RANGES[flag] as { integer?: boolean; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean };
      const line = USAGE.split('\n').find((l) => l.trimStart().startsWith(`--${flag} `))!;
      expect(line, `help line of --${flag}`).toBeDefined();
      const text = `${r.minExclusive ? '(' : '['}${r.min}, ${r.max}${r.maxExclusive ? ')' : ']'}`;
      expect(line).toContain(text);
      // the bounds behave as written: inside accepted, outside rejected
      const inside = r.minExclusive ? r.min! + (r.integer ? 1 : 1e-6) : r.min!;
      const outside = r.maxExclusive ? r.max! : r.max! + 1;
      expect(() => parseOptions([`--${flag}`, String(inside)])).not.toThrow();
      expect(() => parseOptions([`--${flag}`, String(outside)])).toThrow(new RegExp(`--${flag} expects .* in \\${text[0]}${r.min}, ${r.max}\\${text.at(-1)}`));
    });
  }
  it('weight decay is [0, 1) in help and parser (it said ≥ 0)', () => {
    expect(USAGE).toMatch(/--weight-decay <x> +L2 weight decay in \[0, 1\)/);
    expect(() => parseOptions(['--weight-decay', '1'])).toThrow(/in \[0, 1\)/);
  });
});
