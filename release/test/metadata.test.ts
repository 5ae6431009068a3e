// The metadata checklist of docs/publishing.md, checked on every publishable workspace package.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownLinks } from '../lib/markdown.mjs';
import { isBackendPackage, publishablePackages, repositoryWebUrl, ROOT, rootPackageJson, workspacePackages } from '../lib/workspace.mjs';

const packages = publishablePackages();
const workspaceNames = new Set(workspacePackages().map((p) => p.json.name));
const rootLicense = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
const repoUrl = repositoryWebUrl();

/** Every file an `exports` entry points at (conditions flattened). */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (exports && typeof exports === 'object') return Object.values(exports).flatMap(exportTargets);
  return [];
}

it('the root names the license, the repository and an MIT LICENSE file', () => {
  const root = rootPackageJson();
  expect(root.license).toBe('MIT');
  expect(rootLicense).toMatch(/^MIT License/);
  expect(repoUrl).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+$/);
});

it('changesets publishes publicly and versions the @hypercolumn packages together', () => {
  const config = JSON.parse(readFileSync(join(ROOT, '.changeset/config.json'), 'utf8'));
  expect(config.access).toBe('public');
  expect(config.linked).toContainEqual(['@hypercolumn/*']);
});

it('there are publishable packages to check', () => {
  expect(packages.map((p) => p.json.name)).toEqual(expect.arrayContaining(['@hypercolumn/core', '@hypercolumn/backend-cpu']));
});

describe.each(packages.map((p) => [p.json.name, p] as const))('%s', (name, pkg) => {
  const json = pkg.json;

  it('is scoped, described, versioned 0.x with a non-zero minor and published publicly', () => {
    expect(name).toMatch(/^@hypercolumn\/[a-z0-9-]+$/);
    expect(json.description?.length).toBeGreaterThan(20);
    // ^0.0.x pins one exact version; from 0.1.0 on, ^ lets patch releases through
    expect(json.version).toMatch(/^0\.[1-9]\d*\.\d+$/);
    expect(json.publishConfig?.access).toBe('public');
  });

  it('is MIT with the root LICENSE file copied in', () => {
    expect(json.license).toBe('MIT');
    expect(readFileSync(join(pkg.dir, 'LICENSE'), 'utf8')).toBe(rootLicense);
  });

  it('names its repository directory, engines, keywords, homepage and bugs', () => {
    expect(json.repository).toEqual({ type: 'git', url: rootPackageJson().repository.url, directory: pkg.relDir });
    expect(json.engines).toEqual({ node: '>=20' });
    expect(json.keywords?.length).toBeGreaterThan(2);
    expect(json.homepage).toBe(`${repoUrl}/tree/main/${pkg.relDir}#readme`);
    expect(json.bugs).toEqual({ url: `${repoUrl}/issues` });
  });

  it('exports ESM with types first, from built files inside `files`', () => {
    expect(json.type).toBe('module');
    const main = json.exports?.['.'];
    expect(Object.keys(main ?? {}).filter((k) => k === 'types' || k === 'default')).toEqual(['types', 'default']);
    expect(json.files).toContain('dist');
    expect(json.files).toContain('!dist/.tsbuildinfo');
    for (const target of exportTargets(json.exports)) {
      const top = target.replace(/^\.\//, '').split('/')[0];
      if (target !== './package.json') expect(json.files, `${target} is published`).toContain(top);
      expect(existsSync(join(pkg.dir, target)), `${target} exists after the build`).toBe(true);
    }
  });

  it('declares side effects: none for libraries, the registering entry for backends', () => {
    if (name === '@hypercolumn/core') {
      // core wires autograd's helpers when its ops module loads; bundlers that honour `false` (or
      // ignore a file list, as Rolldown does) drop that and break backward() in the browser
      expect(json.sideEffects).toBeUndefined();
    } else if (isBackendPackage(name)) {
      expect(json.sideEffects).toEqual(expect.arrayContaining([json.exports['.'].default]));
    } else {
      expect(json.sideEffects).toBe(false);
    }
  });

  it('depends on workspace packages with workspace:^ (published as ^x.y.z)', () => {
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies'] as const) {
      for (const [dep, range] of Object.entries<string>(json[field] ?? {})) {
        if (workspaceNames.has(dep)) expect(`${field}.${dep}: ${range}`).toBe(`${field}.${dep}: workspace:^`);
      }
    }
  });

  it('has a README whose links work on the registry page and that does not send users to DESIGN.md', () => {
    const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8');
    expect(readme).not.toMatch(/DESIGN(\.md)?\b/);
    for (const link of markdownLinks(readme)) {
      if (link.startsWith('#')) continue;
      // relative links resolve against the registry's page, not the repository: they must be absolute
      expect(link, `README link ${link}`).toMatch(/^https?:\/\//);
      const inRepo = new RegExp(`^${repoUrl.replace(/[.]/g, '\\.')}/(?:blob|tree)/main/([^#?]+)`).exec(link);
      if (inRepo) expect(existsSync(join(ROOT, decodeURIComponent(inRepo[1]))), `${link} exists in the repository`).toBe(true);
    }
  });

  it('is built before the release test runs (a devDependency of the release package)', () => {
    const release = workspacePackages().find((p) => p.json.name === 'release')!;
    expect(release.json.devDependencies?.[name], `add "${name}": "workspace:*" to release/package.json devDependencies`).toBe('workspace:*');
  });
});
