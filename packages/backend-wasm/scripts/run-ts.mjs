// Runs a TypeScript entry (bench scripts) by bundling it with esbuild against workspace sources.
// Usage: node scripts/run-ts.mjs bench/conv.ts
import { build } from 'esbuild';
import { pathToFileURL } from 'node:url';
import { mkdirSync } from 'node:fs';
import { join, basename } from 'node:path';

const entry = process.argv[2];
mkdirSync('dist-bench', { recursive: true });
const outfile = join('dist-bench', basename(entry).replace(/\.ts$/, '.mjs'));
await build({
  entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile, target: 'node20',
  conditions: ['@hypercolumn/source'], packages: 'bundle', logLevel: 'warning',
  external: ['onnxruntime-node', '@tensorflow/*', 'onnxruntime-web'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
await import(pathToFileURL(outfile).href);
