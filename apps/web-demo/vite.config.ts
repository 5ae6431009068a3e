import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { loadDigits, pixelStats, splitDigits } from 'train-mnist/dist/data.js';
import { readModelFile } from 'train-mnist/dist/checkpoint.js';
import { encodeDigits } from './src/digits-format.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Cross-origin isolation (COOP + COEP): without it a browser gives no SharedArrayBuffer, so the wasm
 * backend runs one thread. A deployment must send the same two headers (see README).
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Backend packages the page imports if the workspace has them; the picker lists the others as "not installed". */
const OPTIONAL_BACKENDS = ['@hypercolumn/backend-wasm', '@hypercolumn/backend-webgpu'];

/**
 * A missing optional backend becomes a module that throws on import, so `import()` of it rejects
 * at run time (the picker says "not installed") instead of failing the build. Adding the package
 * as a dependency is all it takes to ship it.
 */
function optionalBackends(): Plugin {
  const missing = '\0missing-backend:';
  return {
    name: 'hypercolumn-optional-backends',
    enforce: 'pre',
    resolveId: {
      filter: { id: new RegExp(`^(${OPTIONAL_BACKENDS.join('|')})$`) },
      async handler(id, importer) {
        const found = await this.resolve(id, importer, { skipSelf: true });
        return found ?? missing + id;
      },
    },
    load: {
      filter: { id: /^\0missing-backend:/ },
      handler(id) {
        const name = id.slice(missing.length);
        return `throw new Error(${JSON.stringify(`${name} is not a dependency of this build`)});`;
      },
    },
  };
}

/**
 * Static data prepared at build time (and served from memory by the dev server): the `mnist`
 * package's digits in train-mnist's fixed split, and the committed pretrained LeNet-5 unpacked from
 * train-mnist's model file into a bare state dict plus its metadata.
 */
function demoData(): Plugin {
  let files: Map<string, Uint8Array> | undefined;
  const build = (): Map<string, Uint8Array> => {
    if (files) return files;
    const { train, test } = splitDigits(loadDigits());
    const { mean, std } = pixelStats(train);
    const model = readModelFile(join(here, 'pretrained', 'lenet.hcm'));
    files = new Map([
      ['data/digits.bin', encodeDigits({ train, test, mean, std })],
      ['data/lenet.hcsd', model.stateBytes],
      ['data/lenet.json', new TextEncoder().encode(JSON.stringify(model.meta))],
    ]);
    return files;
  };
  return {
    name: 'hypercolumn-demo-data',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = req.url?.split('?')[0]?.replace(/^\//, '') ?? '';
        const body = build().get(path);
        if (!body) return next();
        res.setHeader('Content-Type', path.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.end(body);
      });
    },
    generateBundle() {
      for (const [fileName, source] of build()) this.emitFile({ type: 'asset', fileName, source });
    },
  };
}


export default defineConfig({
  plugins: [optionalBackends(), demoData()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});
