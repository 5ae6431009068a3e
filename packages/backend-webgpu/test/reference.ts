/** The harness with vitest assertions. */
import { expect } from 'vitest';
import { closeness, type F64 } from './harness.js';

export * from './harness.js';

export function expectClose(label: string, got: Float32Array, want: F64, magnitude?: F64, rtol = 1e-4): void {
  const failure = closeness(label, got, want, magnitude, rtol);
  if (failure) expect.fail(failure);
}
