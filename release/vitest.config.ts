import { defineConfig } from 'vitest/config';

// The release checks use the built packages (dist/), as users get them; turbo builds them first.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 240_000 },
});
