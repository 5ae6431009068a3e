// Applies the mechanical part of docs/publishing.md's checklist to every publishable package (run it
// after adding a package; `pnpm --filter release metadata`): license and LICENSE copy, repository,
// homepage, bugs, engines, publishConfig, `files` without build info, the ./package.json export,
// workspace:^ ranges, the linked group's version for a 0.0.x package, and the release package's
// devDependency. What needs judgment — description, keywords, README — it only reports.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publishablePackages, repositoryWebUrl, ROOT, rootPackageJson, workspacePackages } from '../lib/workspace.mjs';

const FIELD_ORDER = ['name', 'version', 'description', 'keywords', 'homepage', 'bugs', 'repository', 'license', 'type', 'engines', 'main', 'types', 'bin', 'exports', 'files', 'sideEffects', 'publishConfig'];
const repoUrl = repositoryWebUrl();
const packages = publishablePackages();
const workspaceNames = new Set(workspacePackages().map((p) => p.json.name));
const versionKey = (v) => v.split('.').map((n) => n.padStart(6, '0')).join('.');
const groupVersion = packages.map((p) => p.json.version).filter((v) => !/^0\.0\./.test(v)).sort((a, b) => versionKey(a).localeCompare(versionKey(b))).at(-1) ?? '0.1.0';
const todo = [];

const write = (file, json) => writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
const ordered = (json) => {
  const out = {};
  for (const k of FIELD_ORDER) if (json[k] !== undefined) out[k] = json[k];
  for (const [k, v] of Object.entries(json)) if (!(k in out)) out[k] = v;
  return out;
};

for (const { dir, relDir, json } of packages) {
  const p = { ...json };
  if (/^0\.0\./.test(p.version)) p.version = groupVersion;
  p.homepage = `${repoUrl}/tree/main/${relDir}#readme`;
  p.bugs = { url: `${repoUrl}/issues` };
  p.repository = { type: 'git', url: rootPackageJson().repository.url, directory: relDir };
  p.license = 'MIT';
  p.type = 'module';
  p.engines = { node: '>=20' };
  p.publishConfig = { ...p.publishConfig, access: 'public' };
  if (p.exports && typeof p.exports === 'object' && !('./package.json' in p.exports)) p.exports = { ...p.exports, './package.json': './package.json' };
  const files = [...(p.files ?? ['dist'])];
  if (!files.includes('!dist/.tsbuildinfo')) files.splice(files.indexOf('dist') + 1, 0, '!dist/.tsbuildinfo');
  p.files = files;
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const dep of Object.keys(p[field] ?? {})) if (workspaceNames.has(dep)) p[field][dep] = 'workspace:^';
  }
  write(join(dir, 'package.json'), ordered(p));
  copyFileSync(join(ROOT, 'LICENSE'), join(dir, 'LICENSE'));
  if (!(p.keywords?.length >= 3)) todo.push(`${p.name}: add at least three keywords`);
  if (!(p.description?.length > 20)) todo.push(`${p.name}: write a description`);
  // core declares none on purpose (docs/publishing.md)
  if (p.sideEffects === undefined && p.name !== '@hypercolumn/core') todo.push(`${p.name}: set sideEffects (false, or the entry that registers a backend)`);
}

const releaseFile = join(ROOT, 'release', 'package.json');
const release = JSON.parse(readFileSync(releaseFile, 'utf8'));
const devDependencies = { ...release.devDependencies };
for (const { json } of packages) devDependencies[json.name] = 'workspace:*';
release.devDependencies = Object.fromEntries(Object.entries(devDependencies).sort(([a], [b]) => a.localeCompare(b)));
write(releaseFile, release);

console.log(`metadata applied to ${packages.map((p) => p.json.name).join(', ')}`);
if (todo.length) console.log(`left to do by hand:\n  ${todo.join('\n  ')}`);
console.log('then: pnpm install (lockfile), README per docs/publishing.md, and `pnpm --filter release test`');
