import { registerBackend } from '@hypercolumn/core';
import { defineConformanceSuite } from '@hypercolumn/conformance-core/vitest';
import { createNativeBackend, nativeUnavailableReason } from '../src/index.js';
import { bestIsa, skipReason } from './helpers.js';
import { describe, expect, it } from 'vitest';

// The whole quick table, forward and backward, cpu fallback counted as failure: on the default
// backend (all cores), at one thread with every convolution queued, and on each lower instruction set this CPU can run (the AVX2
// and portable kernels are separate translation units; qemu proves AVX2 alone in test:qemu).
if (skipReason !== undefined) {
  // no compiler here: the backend must say so (reason and fix), and the table cannot run
  describe('native unavailable', () => {
    it('reports why and how to fix it', () => {
      expect(nativeUnavailableReason()).toMatch(/to fix: install a C\+\+17 compiler/);
    });
  });
} else {
  // native-t1 also queues every convolution off the JS thread (asyncMinFlops 0): the table's
  // convolutions, their backward passes and the reads and frees around them go through the queue
  registerBackend('native-t1', () => createNativeBackend({ name: 'native-t1', threads: 1, asyncMinFlops: 0 }));
  defineConformanceSuite('native');
  defineConformanceSuite('native-t1');
  const lower = bestIsa() === 'avx512' ? (['avx2', 'base'] as const) : bestIsa() === 'avx2' ? (['base'] as const) : [];
  for (const isa of lower) {
    registerBackend(`native-${isa}`, () => createNativeBackend({ name: `native-${isa}`, threads: 2, isa }));
    defineConformanceSuite(`native-${isa}`);
  }
}
