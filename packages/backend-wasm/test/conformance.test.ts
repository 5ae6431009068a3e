// The whole conformance table (quick) on the wasm backend, with cpu fallback counted as failure, at
// one thread with the plain and the relaxed-SIMD build and at two threads with every call split.
import { registerBackend } from '@hypercolumn/core';
import { defineConformanceSuite } from '@hypercolumn/conformance-core/vitest';
import { createWasmBackend } from '../src/index.js';

const variants = [
  { name: 'wasm-1t-plain', options: { threads: 1, simd: 'plain' as const } },
  { name: 'wasm-1t-relaxed', options: { threads: 1, simd: 'relaxed' as const } },
  { name: 'wasm-2t', options: { threads: 2, minParallelWork: 0 } },
];
for (const v of variants) {
  registerBackend(v.name, () => createWasmBackend({ ...v.options, name: v.name }), 0);
  defineConformanceSuite(v.name);
}
