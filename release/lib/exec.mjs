// Child processes for the release checks, with the package manager's own environment removed so
// that npm and pnpm behave as they would for a user in a plain shell.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** process.env without the npm_* / pnpm_* variables a `pnpm test` run sets. */
export function userEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|pnpm_|PNPM_|NPM_CONFIG_|INIT_CWD$)/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Puts a `pnpm` of the version in the root package.json's packageManager on PATH (changesets spawns
 * `pnpm publish`; CI reaches pnpm only through npx). It is located with npx first, from the user's
 * own registry: a shim calling npx later would look pnpm up in the test registry given in `extra`.
 */
export function envWithPnpm(binDir, packageManager, extra = {}) {
  const located = run('npx', ['--yes', '-p', packageManager, '-c', 'command -v pnpm'], { env: userEnv() }).stdout.trim().split('\n').at(-1);
  mkdirSync(binDir, { recursive: true });
  const shim = join(binDir, 'pnpm');
  writeFileSync(shim, `#!/bin/sh\nexec "${located}" "$@"\n`);
  chmodSync(shim, 0o755);
  const env = userEnv(extra);
  env.PATH = `${binDir}${delimiter}${env.PATH ?? ''}`;
  return env;
}

/** Runs a command to completion; throws with its output if it fails. */
export function run(command, args, { cwd, env = userEnv(), timeout = 180_000 } = {}) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    const why = result.error ? String(result.error) : `exit ${result.status ?? result.signal}`;
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${why}\n${output.slice(-8000)}`);
  }
  return { stdout: result.stdout, stderr: result.stderr };
}
