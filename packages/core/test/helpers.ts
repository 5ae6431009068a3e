// Assertions shared by core's tests.
import { expect } from 'vitest';
import { HypercolumnError, nn, type Tensor } from '../src/index.js';

export const vals = (t: Tensor): number[] => Array.from(t.dataSync());

/** |got − ref| ≤ atol + rtol·|ref| elementwise; a failure names the worst element. */
export function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, rtol = 1e-4, atol = 1e-5): void {
  expect(got.length).toBe(ref.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const excess = Math.abs(got[i]! - ref[i]!) - (atol + rtol * Math.abs(ref[i]!));
    if (excess > worst || Number.isNaN(excess)) {
      worst = excess;
      at = i;
      if (Number.isNaN(excess)) break;
    }
  }
  if (at >= 0) expect.fail(`element ${at}: got ${got[at]}, expected ${ref[at]} (excess ${worst})`);
}

/** `fn` throws a HypercolumnError whose message contains (or matches) every fragment. */
export function expectHcError(fn: () => unknown, ...fragments: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a HypercolumnError').toBeInstanceOf(HypercolumnError);
  const message = (caught as Error).message;
  for (const f of fragments) {
    if (typeof f === 'string') expect(message).toContain(f);
    else expect(message).toMatch(f);
  }
}

/** LeNet-5 with BatchNorm2d after each conv (conv without bias), as train-mnist's 'lenet-bn'. */
export function lenetBn(): InstanceType<typeof nn.Sequential> {
  const stage = (inC: number, outC: number, padding: number) => [
    new nn.Conv2d(inC, outC, 5, { padding, bias: false }), new nn.BatchNorm2d(outC), new nn.ReLU(), new nn.MaxPool2d(2),
  ];
  return new nn.Sequential(
    ...stage(1, 6, 2), ...stage(6, 16, 0), new nn.Flatten(),
    new nn.Linear(400, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10),
  );
}
