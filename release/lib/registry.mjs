// A throwaway npm registry: verdaccio on 127.0.0.1 with its storage in a temporary folder, anyone may
// publish, and no uplink: it serves only what was published to it. A user project points just the
// @hypercolumn scope at it (`scopeNpmrc`) and gets third-party dependencies from its usual registry.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

function verdaccioConfig(dir) {
  return `storage: ${JSON.stringify(join(dir, 'storage'))}
auth:
  htpasswd:
    file: ${JSON.stringify(join(dir, 'htpasswd'))}
    max_users: -1
packages:
  '@hypercolumn/*':
    access: $all
    publish: $anonymous
    unpublish: $anonymous
  '**':
    access: $all
    publish: $anonymous
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
`;
}

/**
 * Starts verdaccio with its config and storage under `dir`.
 * @returns {Promise<{ url: string, npmrc: string, scopeNpmrc: string, log: () => string, stop: () => Promise<void> }>}
 *   `npmrc` is a user config that points npm/pnpm at the registry with a placeholder token, for
 *   publishing (npm refuses to publish without one; verdaccio treats it as anonymous). `scopeNpmrc`
 *   is the text of a project .npmrc that takes only @hypercolumn/* from the registry.
 */
export async function startRegistry(dir) {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, verdaccioConfig(dir));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const npmrc = join(dir, 'npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=anonymous\n`);
  const bin = join(require.resolve('verdaccio/package.json'), '..', 'bin', 'verdaccio');
  const child = spawn(process.execPath, [bin, '--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}-/ping`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, npmrc, scopeNpmrc: `@hypercolumn:registry=${url}\n`, log: () => output, stop };
}
