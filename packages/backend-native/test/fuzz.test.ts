// The hostile-input fuzzer (conformance-core's fuzz.ts) on this backend: every public op and layer,
// seeded (the seed is printed; HC_FUZZ_SEED replays it, HC_FUZZ_CALLS sets the length), bounded to a
// few seconds. A one-thread instance supplies tensors on the wrong backend. Without a built addon the
// run is skipped with the reason printed (HYPERCOLUMN_REQUIRE_NATIVE=1 makes that a failure).
import * as hc from '@hypercolumn/core';
import { defineFuzzSuite } from '@hypercolumn/conformance-core/vitest';
import { describe, it } from 'vitest';
import { createNativeBackend } from '../src/index.js';
import { skipReason } from './helpers.js';

if (skipReason === undefined) {
  hc.registerBackend('native-fuzz-other', () => createNativeBackend({ name: 'native-fuzz-other', threads: 1 }), -10);
  defineFuzzSuite('native', { otherBackend: 'native-fuzz-other', timeBudgetMs: 6000 });
} else {
  describe.skip('fuzz on native', () => it(`needs the built addon: ${skipReason}`, () => {}));
}
