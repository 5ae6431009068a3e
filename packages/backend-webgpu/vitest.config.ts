import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Without a chosen Vulkan driver, use Debian chromium's SwiftShader when it is installed
// (scripts/setup-vulkan.sh installs it, or the faster lavapipe and exports its ICD).
const swiftShader = '/usr/lib/chromium/vk_swiftshader_icd.json';
const icd = process.env.VK_ICD_FILENAMES ?? (existsSync(swiftShader) ? swiftShader : undefined);

// Tests run against the TypeScript sources of workspace packages (no stale dist/).
export default defineConfig({
  resolve: { conditions: ['@hypercolumn/source'] },
  ssr: { resolve: { conditions: ['@hypercolumn/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: icd ? { VK_ICD_FILENAMES: icd } : {},
    // one device at a time: software adapters are slow, and the machine small
    fileParallelism: false,
  },
});
