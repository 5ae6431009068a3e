import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of workspace packages (no stale dist/). Core's tests need
// a backend; the cpu backend depends on core, so it is aliased here instead of declared as a
// dependency (which would make a package cycle).
export default defineConfig({
  resolve: {
    conditions: ['@hypercolumn/source'],
    alias: { '@hypercolumn/backend-cpu': fileURLToPath(new URL('../backend-cpu/src/index.ts', import.meta.url)) },
  },
  ssr: { resolve: { conditions: ['@hypercolumn/source'] } },
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000 },
});
