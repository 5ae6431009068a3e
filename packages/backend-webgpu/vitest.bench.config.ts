import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The benchmark (bench/*.bench.ts): a table of times and ratios, never a pass/fail on speed.
export default defineConfig({ ...base, test: { ...base.test, include: ['bench/**/*.bench.ts'], testTimeout: 1_800_000 } });
