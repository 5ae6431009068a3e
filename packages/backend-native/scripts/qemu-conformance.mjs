// Run by scripts/qemu-test.mjs under `qemu-x86_64 -cpu EPYC-Milan`: cpuid must pick AVX2, then the
// quick conformance table runs on native (1 and 2 threads) from the built dist/ (no test runner:
// startup under emulation is what costs).
import * as hc from '@hypercolumn/core';
import { runConformance } from '@hypercolumn/conformance-core';
import { createNativeBackend } from '@hypercolumn/backend-native';

const expected = process.env.HYPERCOLUMN_EXPECT_ISA ?? 'avx2';
let failures = 0;
for (const threads of [2, 1]) {
  const name = `native-qemu-${threads}t`;
  hc.registerBackend(name, () => createNativeBackend({ name, threads }));
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
if (probe.isa !== expected) {
  console.error(`expected ${expected}`);
  failures++;
}
probe.dispose();
process.exit(failures ? 1 : 0);
