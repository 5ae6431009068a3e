// Bundle size per backend: a Vite production build of a minimal page that imports @hypercolumn/core
// and one backend package, runs one conv and prints the result. Reports minified and gzipped bytes
// of the JavaScript and of any other assets (wasm, shaders) and writes the table into the README
// between the bundle-size markers. Backends are the workspace's @hypercolumn/backend-* packages;
// run after `pnpm build` (`pnpm size` does both). `--check` prints the table without writing.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { isBackendPackage, publishablePackages, ROOT } from '../lib/workspace.mjs';

const workDir = join(ROOT, 'release', '.size');
const readme = join(ROOT, 'README.md');
const START = '<!-- bundle-size:start -->';
const END = '<!-- bundle-size:end -->';

function pageSource(backendPackage) {
  return `import * as hc from '@hypercolumn/core';
${backendPackage ? `import '${backendPackage}';\n` : ''}
await hc.ready();
const y = hc.relu(hc.conv2d(hc.randn([1, 1, 8, 8]), hc.randn([2, 1, 3, 3]), null, { padding: 'same' }));
document.body.textContent = \`\${hc.getBackend()}: \${(await y.data()).length} values\`;
`;
}

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

async function measure(label, backendPackage) {
  const root = join(workDir, label.replace(/[^a-z0-9-]/gi, '_'));
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n');
  writeFileSync(join(root, 'main.js'), pageSource(backendPackage));
  await build({ root, logLevel: 'warn', configFile: false, build: { outDir: 'dist', target: 'es2022', emptyOutDir: true } });
  let js = 0;
  let jsGzip = 0;
  let other = 0;
  let otherGzip = 0;
  for (const file of files(join(root, 'dist'))) {
    if (file.endsWith('.html')) continue;
    const bytes = readFileSync(file);
    const gz = gzipSync(bytes, { level: 9 }).length;
    if (file.endsWith('.js')) {
      js += bytes.length;
      jsGzip += gz;
    } else {
      other += statSync(file).size;
      otherGzip += gz;
    }
  }
  return { label, js, jsGzip, other, otherGzip };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = [await measure('core alone (baseline, no backend)', null)];
for (const p of publishablePackages().filter((p) => isBackendPackage(p.json.name))) {
  const label = `core + ${p.json.name}`;
  try {
    rows.push(await measure(label, p.json.name));
  } catch (err) {
    // a Node-only backend (the native addon) has no browser bundle: say so instead of a size
    rows.push({ label, error: String(err instanceof Error ? err.message : err).split('\n')[0] });
  }
}
rmSync(workDir, { recursive: true, force: true });

const table = [
  '| page imports | JS minified | JS gzip | other assets (wasm, …) | other gzip |',
  '| --- | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => (r.error ? `| ${r.label} | no browser build: ${r.error.replace(/\|/g, '\\|')} | | | |` : `| ${r.label} | ${kb(r.js)} | ${kb(r.jsGzip)} | ${r.other ? kb(r.other) : '–'} | ${r.other ? kb(r.otherGzip) : '–'} |`)),
].join('\n');
console.log(table);

if (!process.argv.includes('--check')) {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${relative(ROOT, readme)} has no ${START} … ${END} section`);
  writeFileSync(readme, `${text.slice(0, start + START.length)}\n${table}\n${text.slice(end)}`);
  console.log(`updated ${relative(ROOT, readme)}`);
}
