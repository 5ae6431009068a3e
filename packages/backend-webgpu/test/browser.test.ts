/**
 * The same kernels in headless Chromium on navigator.gpu (Debian's chromium, SwiftShader), and a
 * forced device loss there: test/browser/entry.ts is bundled with Vite and run in a page served from
 * http://localhost (a secure context, as WebGPU requires).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { describe, expect, it } from 'vitest';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const reason = existsSync(executablePath) ? null : `no Chromium at ${executablePath} (set CHROMIUM_PATH, or run scripts/setup-vulkan.sh)`;
if (reason) {
  if (process.env.HC_REQUIRE_WEBGPU === '1') throw new Error(`HC_REQUIRE_WEBGPU=1 but ${reason}`);
  console.warn(`headless Chromium webgpu test skipped: ${reason}`);
}

async function bundle(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { conditions: ['@hypercolumn/source', 'browser', 'module', 'import', 'default'] },
    build: {
      write: false,
      minify: false,
      lib: { entry: fileURLToPath(new URL('./browser/entry.ts', import.meta.url)), formats: ['es'], fileName: 'entry' },
      rollupOptions: { external: ['webgpu'] },
    },
  });
  const output = (Array.isArray(out) ? out[0]! : out) as { output: { type: string; code?: string }[] };
  return output.output.find((o) => o.type === 'chunk')!.code!;
}

describe.skipIf(reason !== null)('webgpu in headless Chromium', () => {
  it('runs a subset of the kernel table on navigator.gpu against the float64 reference', async () => {
    const code = await bundle();
    const browser = await chromium.launch({ executablePath, headless: true, args: ['--enable-unsafe-webgpu', '--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(e.message));
      await page.route('http://localhost/**', (route) =>
        route.fulfill({
          contentType: route.request().url().endsWith('.js') ? 'text/javascript' : 'text/html',
          body: route.request().url().endsWith('.js') ? code : '<!doctype html><script type="module" src="/entry.js"></script>',
        }),
      );
      await page.goto('http://localhost/');
      await page.waitForFunction(() => {
        const w = window as unknown as { __hcResult?: unknown; __hcError?: string };
        return w.__hcResult !== undefined || w.__hcError !== undefined;
      }, undefined, { timeout: 90_000 });
      const { result, error } = await page.evaluate(() => {
        const w = window as unknown as { __hcResult?: { adapter: string; results: { name: string; failure: string | null }[] }; __hcError?: string };
        return { result: w.__hcResult, error: w.__hcError };
      });
      expect(error, logs.join('\n')).toBeUndefined();
      console.log(`browser adapter: ${result!.adapter}`);
      expect(result!.results.length).toBe(7);
      expect(result!.results.filter((r) => r.failure !== null)).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
