// The hostile-input fuzzer (conformance-core's fuzz.ts) on this backend: every public op and layer,
// seeded (the seed is printed; HC_FUZZ_SEED replays it), bounded to a few seconds. A second cpu
// instance supplies tensors on the wrong backend.
import * as hc from '@hypercolumn/core';
import { createCpuBackend } from '../src/index.js';
import { defineFuzzSuite } from '@hypercolumn/conformance-core/vitest';

hc.registerBackend('fuzz-other', () => createCpuBackend({ name: 'fuzz-other' }), -10);
defineFuzzSuite('cpu', { otherBackend: 'fuzz-other', timeBudgetMs: 6000 });
