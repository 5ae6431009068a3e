/**
 * Hostile *values* handed straight to a backend's kernels, below core's checks: the cases where core
 * cannot check because it does not read data back (WebGPU), or where a raw kernel is called. A kernel
 * must answer them with NaN where the contract says so, never with another row's values, a trap or an
 * out-of-bounds read. Browser-safe; run by `defineFuzzSuite` on every backend.
 */
import * as hc from '@hypercolumn/core';
import { FLOAT32_MIN_NORMAL } from './values.js';

/** Label values that are not class indices in [0, K) for K = 3. */
export const INVALID_LABELS: readonly number[] = [3, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, -0.5, 1e-45];

const K = 3;
const LOGITS = [0.5, -1.25, 2, 1, 0.25, -0.75]; // two rows of K

/** Float64 (softmax(row) − onehot(label)) · dy / N for a valid row. */
function referenceGradRow(row: number[], label: number, dy: number, n: number): number[] {
  const m = Math.max(...row);
  const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
  return row.map((v, k) => (Math.exp(v - m) / z - (k === label ? 1 : 0)) * (dy / n));
}

/**
 * softmaxCrossEntropy and its backward with row 0 labelled 1 and row 1 labelled with each invalid
 * value: the loss must be NaN, row 1 of dlogits all NaN, row 0 of dlogits the float64 value — or the
 * kernel refuses the labels with a HypercolumnError that names them.
 * Returns one line per problem (empty: all right). Runs on the current backend.
 */
export async function invalidLabelProblems(): Promise<string[]> {
  const problems: string[] = [];
  const expected0 = referenceGradRow(LOGITS.slice(0, K), 1, 1, 2);
  for (const bad of INVALID_LABELS) {
    const logits = hc.tensor(Float32Array.from(LOGITS), [2, K]);
    const labels = hc.tensor(Float32Array.of(1, bad), [2]);
    const dy = hc.tensor(Float32Array.of(1), []);
    try {
      const [loss] = hc.runKernel('softmaxCrossEntropy', { logits, labels }, {});
      const [dlogits] = hc.runKernel('softmaxCrossEntropyBackward', { logits, labels, dy }, {});
      const lossValue = (await loss!.data())[0]!;
      const grad = Array.from(await dlogits!.data());
      loss!.dispose();
      dlogits!.dispose();
      if (!Number.isNaN(lossValue)) problems.push(`softmaxCrossEntropy with label ${bad}: loss ${lossValue}, expected NaN`);
      if (!grad.slice(K).every(Number.isNaN)) problems.push(`softmaxCrossEntropyBackward with label ${bad}: its row is [${grad.slice(K).join(', ')}], expected NaN`);
      const off = grad.slice(0, K).map((g, k) => Math.abs(g - expected0[k]!));
      if (!off.every((d) => d <= 1e-6)) problems.push(`softmaxCrossEntropyBackward with label ${bad}: the valid row is [${grad.slice(0, K).join(', ')}], expected [${expected0.join(', ')}]`);
    } catch (err) {
      if (err instanceof hc.HypercolumnError && /label/.test(err.message)) continue; // a backend that checks the values itself
      problems.push(`label ${bad}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    } finally {
      for (const t of [logits, labels, dy]) t.dispose();
    }
  }
  return problems;
}

/** Whether `op` on float32 tensors of `a` and `b` (one value each) answers 0: the backend flushed a subnormal. */
async function answersZero(op: (a: hc.Tensor, b: hc.Tensor) => hc.Tensor, a: number, b: number): Promise<boolean> {
  const ta = hc.tensor(Float32Array.of(a), [1]), tb = hc.tensor(Float32Array.of(b), [1]);
  const y = op(ta, tb);
  const value = (await y.data())[0];
  for (const t of [ta, tb, y]) t.dispose();
  return value === 0;
}

/**
 * `div(x, v)` with a number v whose reciprocal leaves float32's normal range must still divide: as
 * x·(1/v), 1/1e-45 was Infinity (−0 / 1e-45 came out NaN on native, found by the fuzzer) and 1/3e38
 * subnormal. Expected: float32 division (exact in float64, then rounded). A backend that flushes
 * subnormals to zero (WGSL allows it; SwiftShader flushes quotients) may answer as if a subnormal
 * divisor were 0, and 0 where the quotient is subnormal: probed here on the div kernel, so backends
 * that keep subnormals are held to the exact answer. Returns problems.
 */
export async function numberDivisorProblems(): Promise<string[]> {
  const problems: string[] = [];
  const flushesInputs = await answersZero(hc.mul, 1e-45, 1);
  const flushesQuotients = await answersZero(hc.div, 1e-30, 1e10);
  const values = [-0, 0, 1.5, -2.5, 1e-10, 3e38, -1e38];
  for (const divisor of [1e-45, -2e-40, 1e38, -3e38, 0.1]) {
    const x = hc.tensor(Float32Array.from(values), [values.length]);
    const y = hc.div(x, divisor);
    const got = Array.from(await y.data());
    for (const t of [x, y]) t.dispose();
    const v = Math.fround(divisor);
    const effective = flushesInputs && Math.abs(v) < FLOAT32_MIN_NORMAL ? 0 * Math.sign(v) : v;
    const expected = values.map((a) => Math.fround(Math.fround(a) / effective));
    const flushedQuotient = (g: number, e: number) => flushesQuotients && g === 0 && Math.abs(e) < FLOAT32_MIN_NORMAL;
    if (!got.every((g, i) => Object.is(g, expected[i]) || flushedQuotient(g, expected[i]!))) problems.push(`div(x, ${divisor}): [${got.join(', ')}], expected [${expected.join(', ')}]`);
  }
  return problems;
}
