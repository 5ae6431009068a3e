// The release as a user meets it: every public package goes to a real (local) registry with
// `changeset publish`; an empty project outside the workspace `npm install`s core and each backend
// from there, type-checks and runs each README's example as written, and checks a conv, a pool, a
// norm and one training step on every backend against float64 computations of its own.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envWithPnpm, run, userEnv } from '../lib/exec.mjs';
import { codeExamples, shellCommands } from '../lib/markdown.mjs';
import { startRegistry } from '../lib/registry.mjs';
import { isBackendPackage, publishablePackages, ROOT, rootPackageJson } from '../lib/workspace.mjs';
import { batchNormTraining64, conv2d64, maxPool2d64, sgdStep64, uniform, type Spec } from './reference64.js';

const rootRequire = createRequire(join(ROOT, 'package.json'));
const publishable = publishablePackages();
const versions = new Map(publishable.map((p) => [p.json.name, p.json.version as string]));
const backendNames = publishable.filter((p) => isBackendPackage(p.json.name)).map((p) => p.json.name);
/** What a user installs: core and one or more backends. */
const userPackages = ['@hypercolumn/core', ...backendNames];

/**
 * Examples are written as .ts files into the user project and type-checked in one tsc run, with strict
 * settings against the installed packages' declarations (no @types/node: examples must not need it).
 */
function writeExamples(slug: string, examples: string[]) {
  mkdirSync(join(project, 'examples', slug), { recursive: true });
  examples.forEach((code, i) => writeFileSync(join(project, 'examples', slug, `example-${i + 1}.ts`), code));
}

let typeErrors = '';
/** tsc under Node's resolution (emitting what the examples run) and under a bundler's (checking only). */
function typeCheckExamples() {
  const common = { target: 'es2022', lib: ['es2022', 'dom'], types: [], strict: true, skipLibCheck: false, rootDir: '.' };
  const configs = {
    'tsconfig.json': { ...common, module: 'nodenext', moduleResolution: 'nodenext', outDir: '../examples-out', noEmitOnError: false },
    'tsconfig.bundler.json': { ...common, module: 'esnext', moduleResolution: 'bundler', noEmit: true },
  };
  typeErrors = '';
  for (const [file, compilerOptions] of Object.entries(configs)) {
    writeFileSync(join(project, 'examples', file), JSON.stringify({ compilerOptions, include: ['**/*.ts'] }, null, 2));
    const tsc = spawnSync(process.execPath, [rootRequire.resolve('typescript/bin/tsc'), '-p', join('examples', file), '--pretty', 'false'], { cwd: project, encoding: 'utf8' });
    typeErrors += `${tsc.stdout}${tsc.stderr}`.replace(/^(?=.)/gm, `[${compilerOptions.moduleResolution}] `);
  }
}

/** The examples of one README or page: no type errors in their files, and each runs to exit code 0. */
function checkExamples(slug: string, count: number) {
  const ownErrors = typeErrors.split('\n').filter((line) => line.includes(`examples/${slug}/example-`) || /^\[\w+\] error/.test(line));
  expect(ownErrors.join('\n')).toBe('');
  for (let i = 1; i <= count; i++) run(process.execPath, [join(project, 'examples-out', slug, `example-${i}.js`)], { cwd: project, timeout: 120_000 });
}

const docPages = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md') && codeExamples(readFileSync(join(ROOT, 'docs', f), 'utf8')).length > 0);
const docSlug = (page: string) => `docs-${page.replace(/\.md$/, '')}`;
const readmeSlug = (name: string) => name.replace(/^@hypercolumn\//, '');
const workspaceReadme = (name: string) => readFileSync(join(publishable.find((p) => p.json.name === name)!.dir, 'README.md'), 'utf8');
/** Packages whose README must show a TypeScript example (core and backends); others are run if they have one. */
const readmesWithExamples = publishable.map((p) => p.json.name).filter((n) => userPackages.includes(n) || codeExamples(workspaceReadme(n)).length > 0);
const readmeExamples = new Map<string, string[]>();
/** The README's shell commands (`npm i …`, `npx …`) and how running them as written went. */
const readmeCommands = new Map<string, { commands: string[]; failure?: string }>();

let work = '';
let project = '';
let registry: Awaited<ReturnType<typeof startRegistry>> | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hypercolumn-release-'));
  registry = await startRegistry(join(work, 'registry'));
  const registryEnv = { npm_config_userconfig: registry.npmrc, npm_config_registry: registry.url };
  const changeset = rootRequire.resolve('@changesets/cli/bin.js');
  run(process.execPath, [changeset, 'publish', '--no-git-tag'], { cwd: ROOT, env: envWithPnpm(join(work, 'bin'), rootPackageJson().packageManager, registryEnv) });

  project = join(work, 'user-project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2));
  writeFileSync(join(project, '.npmrc'), registry.scopeNpmrc);
  // npm's cache is content-addressed (a re-published tarball is a miss), so keeping it between runs
  // only saves downloading third-party dependencies (onnxruntime, tfjs) again
  const npmCache = join(ROOT, 'release', 'node_modules', '.cache', 'npm');
  const userEnvironment = userEnv({ npm_config_cache: npmCache, npm_config_audit: 'false', npm_config_fund: 'false' });
  run('npm', ['install', ...userPackages], { cwd: project, env: userEnvironment });

  // every README's shell commands, as a user would type them, in the same project (a failure is
  // reported by that README's test)
  for (const { json: { name } } of publishable) {
    const commands = shellCommands(workspaceReadme(name));
    const entry: { commands: string[]; failure?: string } = { commands };
    readmeCommands.set(name, entry);
    for (const command of commands) {
      try {
        const started = Date.now();
        run('sh', ['-c', command], { cwd: project, env: userEnvironment, timeout: 300_000 });
        if (process.env.HC_RELEASE_KEEP) console.log(`${command}: ${Date.now() - started} ms`);
      } catch (err) {
        entry.failure = String(err);
        break;
      }
    }
  }

  // what users read on the registry page: the README inside the installed package
  for (const name of readmesWithExamples) {
    const installed = join(project, 'node_modules', name, 'README.md');
    // not installed (its README's install command failed): no examples, and its test says so
    readmeExamples.set(name, existsSync(installed) ? codeExamples(readFileSync(installed, 'utf8')) : []);
    writeExamples(readmeSlug(name), readmeExamples.get(name)!);
  }
  for (const page of docPages) writeExamples(docSlug(page), codeExamples(readFileSync(join(ROOT, 'docs', page), 'utf8')));
  typeCheckExamples();
}, 900_000);

afterAll(async () => {
  await registry?.stop();
  // HC_RELEASE_KEEP=1 keeps the registry storage and the user project for a look afterwards
  if (work && !process.env.HC_RELEASE_KEEP) rmSync(work, { recursive: true, force: true });
  else if (work) console.log(`release test files kept in ${work}`);
});

it('the user project lies outside the workspace', () => {
  expect(project.startsWith(ROOT)).toBe(false);
  expect(existsSync(join(project, 'package-lock.json'))).toBe(true);
});

describe.each(publishable.map((p) => [p.json.name] as const))('published %s', (name) => {
  it('is the registry\'s latest at the workspace version, with ^ ranges to other workspace packages', async () => {
    const res = await fetch(`${registry!.url}${name.replace('/', '%2f')}`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { 'dist-tags': Record<string, string>; versions: Record<string, Record<string, Record<string, string>>> };
    expect(doc['dist-tags'].latest).toBe(versions.get(name));
    const manifest = doc.versions[versions.get(name)!]!;
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (versions.has(dep)) expect(`${dep}@${range}`).toBe(`${dep}@^${versions.get(dep)}`);
        expect(range).not.toMatch(/^workspace:/);
      }
    }
  });
});

describe.each(userPackages.map((n) => [n] as const))('installed %s', (name) => {
  const dir = () => join(project, 'node_modules', name);

  it('carries its README, LICENSE and every file its exports name', () => {
    const json = JSON.parse(readFileSync(join(dir(), 'package.json'), 'utf8'));
    expect(json.version).toBe(versions.get(name));
    expect(readFileSync(join(dir(), 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(existsSync(join(dir(), 'README.md'))).toBe(true);
    const targets = (e: unknown): string[] => (typeof e === 'string' ? [e] : e && typeof e === 'object' ? Object.values(e).flatMap(targets) : []);
    for (const target of targets(json.exports)) expect(existsSync(join(dir(), target)), target).toBe(true);
    expect(existsSync(join(dir(), 'dist', '.tsbuildinfo'))).toBe(false);
  });

});

describe.each(publishable.map((p) => [p.json.name] as const))('README of %s', (name) => {
  it('shell commands (install, CLI) run as written in the user project', () => {
    const { commands, failure } = readmeCommands.get(name)!;
    expect(commands.some((c) => new RegExp(`^(?:\\w+=\\S*\\s+)*(?:npm i|npm install|pnpm add|yarn add)\\b.*${name}`).test(c)), 'shows how to install it').toBe(true);
    expect(failure).toBeUndefined();
    expect(readFileSync(join(project, 'node_modules', name, 'README.md'), 'utf8')).toBe(workspaceReadme(name));
  });

  if (readmesWithExamples.includes(name)) {
    it('TypeScript examples type-check (strict; nodenext and bundler resolution) against the installed types and run as written', () => {
      expect(readmeExamples.get(name)!.length, `${name}'s README shows how to use it`).toBeGreaterThan(0);
      checkExamples(readmeSlug(name), readmeExamples.get(name)!.length);
    });
  }
});

it('the docs pages have examples to run', () => {
  expect(docPages.length).toBeGreaterThanOrEqual(4);
});

describe.each(docPages.map((f) => [f] as const))('docs/%s', (page) => {
  it('examples type-check against the installed packages and run as written', () => {
    checkExamples(docSlug(page), codeExamples(readFileSync(join(ROOT, 'docs', page), 'utf8')).length);
  });
});

describe('numerics on every backend, against float64', () => {
  const conv = { x: uniform([2, 3, 7, 6], 1), w: uniform([4, 3, 3, 3], 2), b: uniform([4], 3), options: { stride: 2, padding: 1 } };
  const pool = { x: uniform([2, 3, 7, 6], 4), options: { kernelSize: 3, stride: 2, padding: 1 } };
  const norm = {
    x: uniform([3, 2, 4, 5], 5), runningMean: uniform([2], 6), runningVar: { shape: [2], data: [0.5, 2] },
    weight: uniform([2], 7), bias: uniform([2], 8), options: { training: true, momentum: 0.25, eps: 1e-5 },
  };
  const train = {
    x: uniform([2, 1, 5, 5], 9), labels: [0, 2], lr: 0.5, convOptions: { stride: 1, padding: 0 },
    params: { convWeight: uniform([2, 1, 3, 3], 10), convBias: uniform([2], 11), linearWeight: uniform([3, 18], 12), linearBias: uniform([3], 13) },
  };
  type BackendResult = {
    conv: { shape: number[]; values: number[] }; pool: { shape: number[]; values: number[] };
    norm: { shape: number[]; values: number[]; runningMean: number[]; runningVar: number[] };
    train: { loss: number; params: Record<string, number[]> }; liveTensors: number;
  };
  let results: { registeredBy: Record<string, string>; unavailable: Record<string, string>; backends: Record<string, BackendResult> };

  beforeAll(() => {
    writeFileSync(join(project, 'inputs.json'), JSON.stringify({ conv, pool, norm, train }));
    copyFileSync(new URL('./consumer/numerics.mjs', import.meta.url), join(project, 'numerics.mjs'));
    const { stdout } = run(process.execPath, ['numerics.mjs', 'inputs.json', ...backendNames], { cwd: project, timeout: 180_000 });
    results = JSON.parse(stdout.trim().split('\n').at(-1)!);
  }, 200_000);

  const expectClose = (got: number[], want: number[], what: string) => {
    expect(got.length, what).toBe(want.length);
    const worst = Math.max(0, ...want.map((w, i) => Math.abs(got[i]! - w) - 1e-4 * Math.abs(w)));
    expect(worst, `${what}: worst error beyond 1e-4·|x|`).toBeLessThanOrEqual(1e-4);
  };

  it('every backend package registers a backend; those that cannot start say why', () => {
    expect(Object.values(results.registeredBy).sort()).toEqual(expect.arrayContaining(backendNames));
    expect(new Set(Object.values(results.registeredBy))).toEqual(new Set(backendNames));
    for (const [backend, reason] of Object.entries(results.unavailable)) expect(reason, `${backend} is unavailable`).toMatch(/\w{3,}/);
    expect(Object.keys(results.backends).length).toBeGreaterThan(0);
    expect(Object.keys(results.backends)).toContain('cpu');
  });

  it('conv2d, maxPool2d, training batchNorm and one SGD step match float64 and free every tensor', () => {
    const convWant = conv2d64(conv.x, conv.w, conv.b.data, 2, 1);
    const poolWant = maxPool2d64(pool.x, 3, 2, 1);
    const normWant = batchNormTraining64(norm.x, norm.runningMean.data, norm.runningVar.data, norm.weight.data, norm.bias.data, 0.25, 1e-5);
    const trainWant = sgdStep64(train.x, train.params, train.labels, 1, 0, train.lr);
    const shapeAndValues = (got: { shape: number[]; values: number[] }, want: Spec, what: string) => {
      expect(got.shape, what).toEqual(want.shape);
      expectClose(got.values, want.data, what);
    };
    for (const [backend, r] of Object.entries(results.backends)) {
      shapeAndValues(r.conv, convWant, `${backend} conv2d`);
      shapeAndValues(r.pool, poolWant, `${backend} maxPool2d`);
      shapeAndValues(r.norm, normWant.y, `${backend} batchNorm`);
      expectClose(r.norm.runningMean, normWant.runningMean, `${backend} batchNorm running mean`);
      expectClose(r.norm.runningVar, normWant.runningVar, `${backend} batchNorm running variance`);
      expectClose([r.train.loss], [trainWant.loss], `${backend} training loss`);
      for (const [param, want] of Object.entries(trainWant.params)) expectClose(r.train.params[param]!, want, `${backend} ${param} after one SGD step`);
      expect(r.liveTensors, `${backend} live tensors at the end`).toBe(0);
    }
  });
});
