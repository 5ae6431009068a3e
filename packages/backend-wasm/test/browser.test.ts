// Headless Chromium (Debian's chromium through playwright-core) runs test/browser/page.ts, bundled
// with esbuild, from a local server that sends COOP/COEP so the page is cross-origin isolated and
// the backend can use worker threads (and must not block the main thread).
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);

// Without a browser binary the test cannot run at all: CI installs Debian's chromium (scripts/ci-setup.sh).
describe.skipIf(!haveChromium)('wasm backend in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let url = '';
  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
      bundle: true, format: 'esm', platform: 'browser', write: false, target: 'chrome114',
      conditions: ['@hypercolumn/source'], logLevel: 'error',
    });
    const js = bundle.outputFiles[0]!.text;
    server = createServer((req, res) => {
      // /plain/… is served without COOP/COEP: a page that is not cross-origin isolated
      if (!req.url?.startsWith('/plain/')) {
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      }
      if (req.url?.endsWith('/page.js')) {
        res.setHeader('Content-Type', 'text/javascript');
        res.end(js);
      } else {
        res.setHeader('Content-Type', 'text/html');
        res.end(`<!doctype html><script type="module" src="${req.url?.startsWith('/plain/') ? '/plain' : ''}/page.js"></script>`);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('conv, pool and norm kernels match the reference at 1 and 2 threads', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, undefined, { timeout: 120_000 });
    const result = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as {
      failures: string[]; descriptions: string[]; checks: number; isolated: boolean;
    };
    expect(errors).toEqual([]);
    expect(result.isolated).toBe(true);
    expect(result.failures).toEqual([]);
    expect(result.checks).toBe(2 * 15);
    expect(result.descriptions[0]).toMatch(/1 thread$/);
    expect(result.descriptions[1]).toMatch(/2 threads$/);
  }, 180_000);

  it('a read gives its values while other code queues kernels during its wait (threads: kernels queue)', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${url}?interleaved`);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, undefined, { timeout: 60_000 });
    const result = await page.evaluate(() => (window as unknown as { __result: unknown }).__result);
    expect(errors).toEqual([]);
    expect(result).toEqual({ error: null, length: 4096, wrong: -1, threads: 2 });
  }, 120_000);

  it('without cross-origin isolation: one thread, with the reason in the description', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}plain/?describe`);
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, undefined, { timeout: 60_000 });
    const result = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as {
      description: string; threads: number; values: number[]; isolated: boolean;
    };
    expect(result.isolated).toBe(false);
    expect(result.threads).toBe(1);
    expect(result.description).toMatch(/1 thread \(threads off: (the page is not cross-origin isolated|SharedArrayBuffer is unavailable)/);
    expect(result.values).toEqual([0, 2, 0, 4]);
  }, 120_000);
});
