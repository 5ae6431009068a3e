import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources of workspace packages (no stale dist/).
export default defineConfig({
  resolve: { conditions: ['@hypercolumn/source'] },
  ssr: { resolve: { conditions: ['@hypercolumn/source'] } },
  test: { include: ['test/**/*.test.ts', 'src/**/*.test.ts'], testTimeout: 60_000 },
});
