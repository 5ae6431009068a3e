// The whole conformance table (quick) on this backend, one `it` per op row: float64 reference and
// finite differences, every kernel native (no cpu fallback: this is cpu), no leaks.
import '../src/index.js';
import { defineConformanceSuite } from '@hypercolumn/conformance-core/vitest';

defineConformanceSuite('cpu');
