// The quick conformance table on native at 2 and 1 threads (the latter with every convolution queued
// off the JS thread) from the built dist/, without a test runner (cheap to start under emulation), then a check of the instruction set cpuid picked
// (HYPERCOLUMN_EXPECT_ISA, default the best the addon reports). Run by test:qemu (expects AVX2) and
// by test:asan on the sanitizer build (HYPERCOLUMN_NATIVE_ADDON).
import * as hc from '@hypercolumn/core';
import { runConformance } from '@hypercolumn/conformance-core';
import { createNativeBackend } from '@hypercolumn/backend-native';

const expected = process.env.HYPERCOLUMN_EXPECT_ISA;
let failures = 0;
for (const threads of [2, 1]) {
  const name = `native-${threads}t`;
  hc.registerBackend(name, () => createNativeBackend({ name, threads, asyncMinFlops: threads === 1 ? 0 : undefined }));
  const result = await runConformance({ quick: true, backends: [name] });
  const info = result.backends.find((x) => x.name === name);
  if (!info?.tested) {
    console.error(`${name} unavailable: ${info?.reason}`);
    process.exit(1);
  }
  const bad = result.cases.filter((c) => c.status !== 'pass');
  failures += bad.length;
  console.log(`${name}: ${result.cases.length - bad.length}/${result.cases.length} cases pass`);
  for (const c of bad.slice(0, 20)) console.log(`  ${c.id} ${c.status}: ${c.message ?? ''}`);
}
const probe = createNativeBackend({ threads: 1 });
console.log(`instruction set picked by cpuid: ${probe.isa}`);
if (expected && probe.isa !== expected) {
  console.error(`expected ${expected}`);
  failures++;
}
probe.dispose();
process.exit(failures ? 1 : 0);
