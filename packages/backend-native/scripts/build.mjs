#!/usr/bin/env node
// Builds the native addon with the system C++ compiler: no download, no node-gyp.
//
//   node scripts/build.mjs            release build into build/ (fails loudly)
//   node scripts/build.mjs --optional the install step: a failure is recorded in build/status.json
//                                     and install still succeeds (the backend reports itself unavailable)
//   node scripts/build.mjs --asan     AddressSanitizer + UndefinedBehaviorSanitizer build into build-asan/
//
// Each kernel family is compiled once per instruction set (AVX-512, AVX2+FMA, portable) into its own
// namespace; the binding picks one at run time from cpuid. Never -march=native.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, rmSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { arch, cpus } from 'node:os';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const asan = args.has('--asan');
const optional = args.has('--optional');
const outDir = join(root, asan ? 'build-asan' : 'build');
const src = join(root, 'native');

const families = ['conv', 'pooling', 'norm', 'dense', 'elementwise', 'optim', 'peak', 'table'];
const x86 = arch() === 'x64';
const isas = x86
  ? { avx512: ['-mavx512f', '-mavx2', '-mfma'], avx2: ['-mavx2', '-mfma'], base: [] }
  : { base: [] };

function includeDirs() {
  const addon = require('node-addon-api');
  const headers = require('node-api-headers');
  const dirs = [String(addon.include_dir ?? addon.include).replace(/"/g, ''), headers.include_dir];
  // the Node install's own headers as a last resort (prefix derived from the running node)
  const prefixInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
  if (existsSync(prefixInclude)) dirs.push(prefixInclude);
  return dirs;
}

async function pool(tasks, width) {
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}

async function build() {
  const cxx = process.env.CXX || 'c++';
  const inc = includeDirs().map((d) => `-I${d}`);
  const common = [
    '-std=c++17', '-fPIC', '-fvisibility=hidden', '-Wall', '-Wno-unused-function',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED',
    ...(asan ? ['-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined'] : ['-O3']),
    ...(x86 ? [] : ['-DHC_PORTABLE_ONLY']),
    ...inc,
  ];
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'obj'), { recursive: true });
  const jobs = [];
  const objects = [];
  for (const [isa, flags] of Object.entries(isas)) {
    for (const f of families) {
      const obj = join(outDir, 'obj', `${f}.${isa}.o`);
      objects.push(obj);
      jobs.push(() => run(cxx, [...common, ...flags, `-DHC_ISA=${isa}`, '-c', join(src, `${f}.cc`), '-o', obj]));
    }
  }
  const bindingObj = join(outDir, 'obj', 'binding.o');
  objects.push(bindingObj);
  jobs.push(() => run(cxx, [...common, '-c', join(src, 'binding.cc'), '-o', bindingObj]));
  await pool(jobs, Math.max(1, Math.min(4, cpus().length)));
  const out = join(outDir, 'hypercolumn_native.node');
  await run(cxx, [...common, '-shared', '-pthread', '-o', out, ...objects]);
  return out;
}

/** The install step skips the compiler when the addon is newer than every source (repeat installs). */
function upToDate() {
  const out = join(outDir, 'hypercolumn_native.node');
  if (!existsSync(out)) return false;
  const built = statSync(out).mtimeMs;
  const sources = [...readdirSync(src).map((f) => join(src, f)), fileURLToPath(import.meta.url)];
  return sources.every((f) => statSync(f).mtimeMs < built);
}

if (optional && !asan && upToDate()) {
  console.log('backend-native: addon up to date');
  process.exit(0);
}

try {
  const out = await build();
  writeFileSync(join(outDir, 'status.json'), JSON.stringify({ ok: true, file: out }) + '\n');
  console.log(`backend-native: built ${out}`);
} catch (e) {
  const reason = String(e.stderr || e.message || e).trim().split('\n').slice(0, 20).join('\n');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'status.json'), JSON.stringify({ ok: false, reason }) + '\n');
  console.warn(`backend-native: native build failed; the backend will report itself unavailable.\n${reason}`);
  if (!optional) process.exit(1);
}
