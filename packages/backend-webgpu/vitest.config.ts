import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The Vulkan driver under Dawn in Node: VK_ICD_FILENAMES if set, else lavapipe 25 unpacked by
// scripts/setup-vulkan.sh, else Debian chromium's SwiftShader.
const lavapipe = fileURLToPath(new URL('./.vulkan/lvp_icd.json', import.meta.url));
const swiftShader = '/usr/lib/chromium/vk_swiftshader_icd.json';
const icd = process.env.VK_ICD_FILENAMES ?? [lavapipe, swiftShader].find((f) => existsSync(f));
// lavapipe's shader cache stays in the project (a cold cache costs seconds per run)
const shaderCache = process.env.MESA_SHADER_CACHE_DIR ?? fileURLToPath(new URL('./.vulkan/shader-cache', import.meta.url));

// Tests run against the TypeScript sources of workspace packages (no stale dist/).
export default defineConfig({
  resolve: { conditions: ['@hypercolumn/source'] },
  ssr: { resolve: { conditions: ['@hypercolumn/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { ...(icd ? { VK_ICD_FILENAMES: icd } : {}), MESA_SHADER_CACHE_DIR: shaderCache },
    // one device at a time: software adapters are slow, and the machine small
    fileParallelism: false,
  },
});
