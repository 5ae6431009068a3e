// The hostile-input fuzzer (conformance-core's fuzz.ts) on this backend: every public op and layer,
// seeded (the seed is printed; HC_FUZZ_SEED replays it, HC_FUZZ_CALLS sets the length). Every read is
// awaited (no synchronous read here). Fewer calls than on the other backends: a software adapter
// (lavapipe) is slow. A second device supplies tensors on the wrong backend. Without an adapter the
// run is skipped with the reason printed (HC_REQUIRE_WEBGPU=1 makes that a failure).
import * as hc from '@hypercolumn/core';
import { defineFuzzSuite } from '@hypercolumn/conformance-core/vitest';
import { describe, it } from 'vitest';
import { createWebGpuBackend } from '../src/index.js';
import { getGpu } from './gpu.js';

const gpu = await getGpu();
if (gpu) {
  hc.registerBackend('webgpu-fuzz-other', () => createWebGpuBackend({ name: 'webgpu-fuzz-other' }), -10);
  defineFuzzSuite('webgpu', { otherBackend: 'webgpu-fuzz-other', calls: 400, timeBudgetMs: 8000 });
} else {
  describe.skip('fuzz on webgpu', () => it('needs a WebGPU adapter (see the warning above)', () => {}));
}
