// The whole conformance table (quick) on this backend, one `it` per op row: float64 reference and
// finite differences, every kernel native (no cpu fallback: this is cpu), no leaks.
import '../src/index.js';
import { defineConformanceSuite } from '@hypercolumn/conformance-core/vitest';

defineConformanceSuite('cpu');

// The full table with case seeds other than the default: the randomised cases then draw shapes the
// default never does. Each of these seeds once found a fault in the table itself (an instance norm of
// 1×1 maps, −Inf outputs of max-pool windows in padding, finite differences through them, the central
// difference's h² error on frn's d/deps) or in cpu's max-pool backward (empty windows routed their
// gradient into another sample).
for (const seed of [4, 13, 103, 777]) defineConformanceSuite('cpu', { quick: false, seed });
