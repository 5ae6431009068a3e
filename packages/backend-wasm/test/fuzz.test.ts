// The hostile-input fuzzer (conformance-core's fuzz.ts) on this backend: every public op and layer,
// seeded (the seed is printed; HC_FUZZ_SEED replays it, HC_FUZZ_CALLS sets the length), bounded to a
// few seconds. Two threads with every call split (the worker path), and a one-thread instance that
// supplies tensors on the wrong backend.
import * as hc from '@hypercolumn/core';
import { defineFuzzSuite } from '@hypercolumn/conformance-core/vitest';
import { createWasmBackend } from '../src/index.js';

hc.registerBackend('wasm-fuzz', () => createWasmBackend({ name: 'wasm-fuzz', threads: 2, minParallelWork: 0 }), -10);
hc.registerBackend('wasm-fuzz-other', () => createWasmBackend({ name: 'wasm-fuzz-other', threads: 1 }), -10);
defineFuzzSuite('wasm-fuzz', { otherBackend: 'wasm-fuzz-other', timeBudgetMs: 6000 });
