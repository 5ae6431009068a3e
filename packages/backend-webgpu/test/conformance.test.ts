// The conformance table on this backend, one `it` per op row: float64 reference and finite
// differences through the real engine, every kernel native (cpu fallback fails the row), no leaks.
// Without an adapter the table is skipped with the reason (HC_REQUIRE_WEBGPU=1 makes that a failure).
import '../src/index.js';
import { defineConformanceSuite } from '@hypercolumn/conformance-core/vitest';
import { describe, it } from 'vitest';
import { getGpu } from './gpu.js';

const gpu = await getGpu();
if (gpu) defineConformanceSuite('webgpu', { quick: process.env.HC_CONFORMANCE_FULL !== '1', timeout: 300_000 });
else describe.skip('conformance on webgpu', () => it('needs a WebGPU adapter (see the warning above)', () => {}));
