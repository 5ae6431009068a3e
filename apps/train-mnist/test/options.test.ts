import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, parseOptions, UsageError } from '../src/options.js';
import { encodeModelFile } from '../src/checkpoint.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(appDir, 'dist', 'cli.js');

describe('parseOptions', () => {
  it('has the documented defaults', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({ model: 'lenet', backend: 'auto', epochs: DEFAULTS.epochs, batchSize: 64, lr: 0.05, momentum: 0.9, weightDecay: 5e-4, seed: 1, shift: 2 });
    expect(o.agc).toBeUndefined();
  });

  it('parses every option', () => {
    const o = parseOptions(['--model', 'nf', '--backend', 'cpu', '--epochs', '3', '--batch-size', '32', '--lr', '0.1', '--momentum', '0', '--weight-decay', '0',
      '--agc', '0.02', '--seed', '9', '--limit', '500', '--save', 'a.bin', '--json', '--verbose', '--shift', '0']);
    expect(o).toMatchObject({ model: 'nf', backend: 'cpu', epochs: 3, batchSize: 32, lr: 0.1, momentum: 0, weightDecay: 0, agc: 0.02, seed: 9, limit: 500, save: 'a.bin', json: true, verbose: true, shift: 0 });
    expect(parseOptions(['--', '--epochs=2']).epochs).toBe(2);
  });

  const bad: [string[], RegExp][] = [
    [['--model', 'resnet'], /unknown --model "resnet".*lenet, lenet-bn/],
    [['--model', 'LENET-BN'], /did you mean lenet-bn/],
    [['--backend', 'cuda'], /unknown --backend "cuda"/],
    [['--epochs', 'ten'], /--epochs expects an integer.*"ten"/],
    [['--epochs', '0'], /--epochs expects an integer in \[1, 1000\]/],
    [['--epochs', '2.5'], /--epochs expects an integer/],
    [['--batch-size', '-4'], /--batch-size expects an integer in \[1, 8000\], got -4/],
    [['--epochs', '-3'], /--epochs expects an integer in \[1, 1000\], got -3/],
    [['--lr', 'NaN'], /--lr expects a number/],
    [['--lr', '0'], /--lr expects a number in \(0, 10\]/],
    [['--momentum', '1'], /--momentum expects a number in \[0, 1\)/],
    [['--weight-decay', '-1'], /--weight-decay/],
    [['--agc', '0'], /--agc/],
    [['--seed', '-1'], /--seed expects .*got -1/],
    [['--limit', '9000'], /--limit/],
    [['--epochs'], /argument missing/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['train'], /unexpected argument "train"/],
    [['--eval-only'], /--eval-only needs --load/],
    [['--save', ''], /--save expects a file name/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')}`, () => {
      let error: unknown;
      try {
        parseOptions(argv);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).exitCode).toBe(2);
      expect((error as Error).message).toMatch(message);
    });
  }
});

describe.skipIf(!existsSync(cli))('the built CLI on bad input (exit code 2, no stack trace)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'train-mnist-'));
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });
  const corrupt = join(dir, 'corrupt.bin');
  writeFileSync(corrupt, 'definitely not a model');
  const truncated = join(dir, 'truncated.bin');
  writeFileSync(truncated, encodeModelFile({ model: 'lenet', mean: 0.13, std: 0.3 }, new Uint8Array([0x48, 0x43, 0x53, 0x44, 1, 0, 0, 0, 99, 0, 0, 0])));
  const otherModel = join(dir, 'bn.bin');
  writeFileSync(otherModel, encodeModelFile({ model: 'lenet-bn', mean: 0.13, std: 0.3 }, new Uint8Array(0)));

  const cases: [string[], RegExp][] = [
    [['--model', 'vgg'], /unknown --model "vgg"/],
    [['--epochs', 'abc'], /--epochs expects an integer/],
    [['--load', join(dir, 'missing.bin')], /cannot read the file \(no such file\)/],
    [['--load', corrupt], /not a usable train-mnist model file/],
    [['--load', truncated, '--eval-only'], /corrupt weights/],
    [['--load', otherModel, '--model', 'lenet'], /holds a lenet-bn model, not lenet/],
    [['--fuse-bn'], /--fuse-bn needs a model with BatchNorm/],
    [['--save', join(dir, 'no', 'such', 'dir', 'm.bin')], /does not exist/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' ').replace(dir, '<tmp>'), () => {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  // a backend whose package is not installed must be refused with a suggestion. In this workspace every
  // backend package is a dependency, so the CLI runs with a module hook that makes one unresolvable, as in
  // an install without it (the optional packages are imported dynamically and may be absent).
  const hide = (pkg: string) => {
    const hooks = join(dir, 'hide-hooks.mjs');
    writeFileSync(hooks, `export async function resolve(specifier, context, next) {
  if (specifier === ${JSON.stringify(pkg)}) { const e = new Error("Cannot find package '" + specifier + "'"); e.code = 'ERR_MODULE_NOT_FOUND'; throw e; }
  return next(specifier, context);
}\n`);
    const register = join(dir, 'hide-register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
    return register;
  };
  for (const missing of ['wasm', 'webgpu', 'native']) {
    it(`--backend ${missing} without its package: not available, says why and suggests an available one`, () => {
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(hide(`@hypercolumn/backend-${missing}`)).href, cli, '--backend', missing], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`backend "${missing}" is not available: its package @hypercolumn/backend-${missing} is not installed\\. Available: [^;]*\\bcpu\\b[^;]*; try --backend (cpu|wasm|native|webgpu) \\(or --backend auto\\)`));
      expect(r.stderr).not.toMatch(new RegExp(`Available: [^;]*\\b${missing}\\b`));
      // no JavaScript stack (Dawn's own adapter warnings, with their C++ "at" lines, may precede it)
      expect(r.stderr).not.toMatch(/^\s+at .*\.[cm]?js:\d+:\d+\)?$/m);
    });
  }

  it('prints the stack with --verbose', () => {
    const r = run('--load', corrupt, '--verbose');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('prints help with exit code 0', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/i % 5 == 4/);
  });
});
