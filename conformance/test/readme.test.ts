// The README's usage example is real code: extract it and run it against the built packages.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('the README usage example runs and leaks nothing', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // inside conformance/ so that @hypercolumn/core and backend-cpu resolve (to their dist builds)
  const file = fileURLToPath(new URL('../.readme-example.mjs', import.meta.url));
  writeFileSync(file, example!);
  try {
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8' }).trim().split('\n');
    expect(out[0]).toMatch(/^\[ 1, 8, 8, 8 \] \d+(\.\d+)?$/);
    expect(out[1]).toBe('0');
  } finally {
    rmSync(file, { force: true });
  }
});
