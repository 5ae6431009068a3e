// The workspace's packages, found from pnpm-workspace.yaml, so a new package is picked up without
// editing the release checks. Only the glob forms the workspace uses are understood: `dir` and `dir/*`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** @typedef {{ name: string, version: string, private?: boolean, [key: string]: any }} PackageJson */
/** @typedef {{ dir: string, relDir: string, json: PackageJson }} WorkspacePackage */

/** @returns {string[]} the `packages:` globs of pnpm-workspace.yaml */
export function workspaceGlobs() {
  const yaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\n((?:[ \t]+-[^\n]*\n?)+)/m.exec(yaml);
  if (!block) throw new Error('pnpm-workspace.yaml has no packages: list');
  return block[1].split('\n').map((l) => l.replace(/^\s*-\s*/, '').replace(/^['"]|['"]$/g, '').trim()).filter(Boolean);
}

/** @returns {WorkspacePackage[]} every workspace package, sorted by name */
export function workspacePackages() {
  const dirs = new Set();
  for (const glob of workspaceGlobs()) {
    if (glob.startsWith('!')) continue;
    if (glob.endsWith('/*')) {
      const base = join(ROOT, glob.slice(0, -2));
      if (!existsSync(base)) continue;
      for (const entry of readdirSync(base, { withFileTypes: true })) if (entry.isDirectory()) dirs.add(join(base, entry.name));
    } else if (!glob.includes('*')) {
      dirs.add(join(ROOT, glob));
    } else {
      throw new Error(`release/lib/workspace.mjs does not understand the workspace glob '${glob}'`);
    }
  }
  return [...dirs]
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, relDir: relative(ROOT, dir).split('\\').join('/'), json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .sort((a, b) => a.json.name.localeCompare(b.json.name));
}

/** @returns {WorkspacePackage[]} the packages that are published (not `private`) */
export function publishablePackages() {
  return workspacePackages().filter((p) => !p.json.private);
}

/** Backend packages register a backend when imported; users install one or more next to core. */
export function isBackendPackage(name) {
  return /^@hypercolumn\/backend-/.test(name);
}

/** @returns {PackageJson} the root package.json */
export function rootPackageJson() {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
}

/** The GitHub repository every package links to, from the root package.json (`https://github.com/o/r`). */
export function repositoryWebUrl() {
  const url = rootPackageJson().repository?.url ?? '';
  const m = /github\.com[/:]([^/]+\/[^/.]+)(\.git)?$/.exec(url);
  if (!m) throw new Error(`root package.json repository.url is not a GitHub URL: '${url}'`);
  return `https://github.com/${m[1]}`;
}
