import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The benchmark (bench/*.bench.ts): a table of times and ratios, never a pass/fail on speed.
export default defineConfig({ ...base, test: { ...base.test, include: ['bench/**/*.bench.ts'], testTimeout: 1_800_000,
  // tfjs's ES module builds (needed for its gradient registrations) go through Vite, all in one module graph
  server: { deps: { inline: [/@tensorflow\//] } } } });
