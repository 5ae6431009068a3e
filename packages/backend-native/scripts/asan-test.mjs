#!/usr/bin/env node
// Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) and drives the
// hostile-call test at its raw binding in a child node with libasan preloaded. Any sanitizer report
// aborts the child and fails this script. Without a compiler it skips, saying why.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cxx = process.env.CXX || 'c++';
let libasan;
try {
  libasan = execFileSync(cxx, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
} catch {
  console.log(`test:asan skipped: no C++ compiler (${cxx}) to build the sanitizer variant`);
  process.exit(0);
}
if (!libasan || !existsSync(libasan)) {
  console.log(`test:asan skipped: ${cxx} has no libasan.so (install the compiler's sanitizer runtime)`);
  process.exit(0);
}
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--asan'], { stdio: 'inherit' });
const child = `
  import { createRequire } from 'node:module';
  import { runHostile } from ${JSON.stringify(join(root, 'test', 'hostile-driver.mjs'))};
  const addon = createRequire(import.meta.url)(${JSON.stringify(join(root, 'build-asan', 'hypercolumn_native.node'))});
  const isas = addon.bestIsa === 'avx512' ? ['avx512', 'avx2', 'base'] : addon.bestIsa === 'avx2' ? ['avx2', 'base'] : ['base'];
  for (const isa of isas) for (const [threads, asyncMinFlops] of [[1, undefined], [2, undefined], [2, 0]]) {
    const r = runHostile(addon, { seed: 11 + threads, calls: 25, threads, isa, asyncMinFlops });
    console.log('asan hostile', isa, threads + 't', asyncMinFlops === 0 ? 'queued' : '', JSON.stringify(r));
    if (r.liveBytesAtEnd !== 0 || r.ok === 0) { console.error('unexpected result'); process.exit(1); }
  }
`;
const sanitizerEnv = {
  ...process.env,
  LD_PRELOAD: libasan,
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
const res = spawnSync(process.execPath, ['--input-type=module', '-e', child], { stdio: 'inherit', env: sanitizerEnv });
if (res.status !== 0) {
  console.error(`test:asan failed (status ${res.status}, signal ${res.signal})`);
  process.exit(1);
}
// the quick conformance table (valid calls on real shapes) on the sanitizer build, when dist/ is built
if (existsSync(join(root, 'dist', 'index.js'))) {
  const table = spawnSync(process.execPath, [join(root, 'scripts', 'conformance-quick.mjs')], {
    stdio: 'inherit',
    env: { ...sanitizerEnv, HYPERCOLUMN_NATIVE_ADDON: join(root, 'build-asan', 'hypercolumn_native.node') },
  });
  if (table.status !== 0) {
    console.error(`test:asan failed on the conformance table (status ${table.status}, signal ${table.signal})`);
    process.exit(1);
  }
} else {
  console.log('test:asan: conformance table not run (build dist/ first: pnpm build)');
}
console.log('test:asan passed');
