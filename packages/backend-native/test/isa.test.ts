import { expect, it } from 'vitest';
import { createNativeBackend } from '../src/index.js';
import { bestIsa, skipReason } from './helpers.js';

// Under `test:qemu` (qemu-x86_64 -cpu EPYC-Milan) the expected set is given: cpuid must pick AVX2
// there, and every kernel then runs AVX2 code (an AVX-512 instruction would die with SIGILL).
it.skipIf(skipReason !== undefined)('cpuid picks the expected instruction set and the backend runs on it', () => {
  const expected = process.env.HYPERCOLUMN_EXPECT_ISA;
  if (expected) expect(bestIsa()).toBe(expected);
  else expect(['avx512', 'avx2', 'base']).toContain(bestIsa());
  const b = createNativeBackend({ threads: 2 });
  expect(b.isa).toBe(bestIsa());
  expect(b.description).toContain(bestIsa());
  b.dispose();
});
