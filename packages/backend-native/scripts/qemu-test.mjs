#!/usr/bin/env node
// Runs the conformance table, the kernel tests and the cpuid check under
// `qemu-x86_64 -cpu EPYC-Milan` (an AVX2-only CPU): proves the AVX2 dispatch on any x86 machine,
// AVX-512 or not. Skips, saying why, when qemu-user is absent (Debian: apt-get install qemu-user).
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let qemu;
try {
  qemu = execFileSync('sh', ['-c', 'command -v qemu-x86_64'], { encoding: 'utf8' }).trim();
} catch {}
if (!qemu) {
  console.log('test:qemu skipped: qemu-x86_64 not found (Debian: apt-get install qemu-user)');
  process.exit(0);
}
if (process.arch !== 'x64') {
  console.log(`test:qemu skipped: qemu-x86_64 -cpu EPYC-Milan checks the x86 AVX2 path; this is ${process.arch}`);
  process.exit(0);
}
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const files = process.argv.slice(2).length ? process.argv.slice(2) : ['test/isa.test.ts', 'test/conformance.test.ts', 'test/kernels.test.ts'];
const child = spawn(qemu, ['-cpu', 'EPYC-Milan', process.execPath, vitest, 'run', '--pool=threads', ...files], {
  cwd: root,
  env: { ...process.env, HYPERCOLUMN_EXPECT_ISA: 'avx2' },
  stdio: ['ignore', 'inherit', 'pipe'],
});
// qemu warns once per process about CPUID bits TCG cannot emulate: noise, filtered
child.stderr.on('data', (d) => {
  const text = String(d).split('\n').filter((l) => l && !l.startsWith('qemu-x86_64: warning: TCG')).join('\n');
  if (text) process.stderr.write(text + '\n');
});
child.on('exit', (code, signal) => {
  if (code !== 0) console.error(`test:qemu failed (code ${code}, signal ${signal})`);
  process.exit(code ?? 1);
});
