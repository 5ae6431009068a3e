#!/usr/bin/env node
// Runs the cpuid check and the quick conformance table (scripts/conformance-quick.mjs) under
// `qemu-x86_64 -cpu EPYC-Milan` (an AVX2-only CPU): proves the AVX2 dispatch on any x86 machine,
// AVX-512 or not. Skips, saying why, when qemu-user is absent (Debian: apt-get install qemu-user).
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

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
const driver = join(root, 'scripts', 'conformance-quick.mjs');
if (!existsSync(join(root, 'dist', 'index.js'))) {
  console.error('test:qemu needs the built package (pnpm build)');
  process.exit(1);
}
const child = spawn(qemu, ['-cpu', 'EPYC-Milan', process.execPath, driver], {
  cwd: root,
  env: { ...process.env, HYPERCOLUMN_EXPECT_ISA: 'avx2' },
  stdio: ['ignore', 'inherit', 'pipe'],
});
// qemu warns once per process about CPUID bits TCG cannot emulate: noise, filtered
let pending = '';
child.stderr.on('data', (d) => {
  const lines = (pending + String(d)).split('\n');
  pending = lines.pop();
  for (const l of lines) if (l && !/^qemu-x86_64: warning: TCG/.test(l)) process.stderr.write(l + '\n');
});
child.on('exit', (code, signal) => {
  if (code !== 0) console.error(`test:qemu failed (code ${code}, signal ${signal})`);
  process.exit(code ?? 1);
});
