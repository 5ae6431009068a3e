// Times one pooling call and its readback separately (diagnosis of the pooling rows).
import { pool2dGeometry } from '@hypercolumn/core';
import { createWasmBackend } from '../src/index.js';
const be = await createWasmBackend({ threads: 1 });
const shape = [8, 64, 112, 112];
const x = be.write(Float32Array.from({ length: 8 * 64 * 112 * 112 }, () => Math.random()), shape);
const g = pool2dGeometry('maxPool2d', shape, { kernelSize: Number(process.env.K ?? 2), stride: 2, padding: Number(process.env.P ?? 0) });
const k = be.kernels.maxPool2d!;
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const y = k({ x: { data: x, shape } }, { geometry: g }, be, { y: g.yShape });
  const t1 = performance.now();
  const v = await be.read(y, y.size);
  const t2 = performance.now();
  be.free(y);
  console.log(`kernel ${(t1 - t0).toFixed(2)} ms, read ${(t2 - t1).toFixed(2)} ms (${v.length})`);
}
