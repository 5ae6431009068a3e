/**
 * Test setup: one webgpu backend for the run, or the reason there is none. Without an adapter the
 * GPU tests are skipped with that reason printed — unless HC_REQUIRE_WEBGPU=1 (CI after
 * scripts/setup-vulkan.sh), where a missing adapter fails the run.
 */
import { createWebGpuBackend, type GpuData, type WebGpuBackend } from '../src/index.js';

let shared: Promise<WebGpuBackend | string> | undefined;

export function gpuOrReason(): Promise<WebGpuBackend | string> {
  shared ??= createWebGpuBackend().then(
    (b) => (console.info(`webgpu tests on ${b.description}`), b),
    (err: Error) => err.message,
  );
  return shared;
}

export async function getGpu(): Promise<WebGpuBackend | undefined> {
  const g = await gpuOrReason();
  if (typeof g === 'string') {
    if (process.env.HC_REQUIRE_WEBGPU === '1') throw new Error(`HC_REQUIRE_WEBGPU=1 but no WebGPU adapter: ${g}`);
    console.warn(`webgpu tests skipped: ${g}`);
    return undefined;
  }
  return g;
}

export type { GpuData, WebGpuBackend };
