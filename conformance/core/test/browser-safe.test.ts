// conformance-core must run in a browser: its sources import only each other, core, fast-check, and
// (the vitest helper alone) vitest; no Node built-in, no ONNX Runtime, no backend package.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(`${dir}${e.name}/`) : e.name.endsWith('.ts') ? [`${dir}${e.name}`] : []));
}

it('imports nothing Node-only and no backend', () => {
  const files = sources(src);
  expect(files.length).toBeGreaterThan(10);
  const bad: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      const allowed = spec.startsWith('./') || spec.startsWith('../') || spec === '@hypercolumn/core' || spec === 'fast-check' || (spec === 'vitest' && file.endsWith('/vitest.ts'));
      if (!allowed) bad.push(`${file.slice(src.length)}: ${spec}`);
    }
    if (/\bprocess\.|\bBuffer\.|\brequire\(/.test(text)) bad.push(`${file.slice(src.length)}: uses a Node global`);
  }
  expect(bad).toEqual([]);
});
