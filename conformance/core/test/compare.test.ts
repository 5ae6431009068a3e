import { describe, expect, it } from 'vitest';
import { compareArrays } from '../src/runner.js';

describe('compareArrays: the comparison rule of DESIGN §3', () => {
  it('holds finite values to atol + rtol·|ref|', () => {
    expect(compareArrays([1.00005], [1], 1).ok).toBe(true);
    expect(compareArrays([1.001], [1], 1).ok).toBe(false);
  });
  it('matches equal infinities and NaN against NaN (an all-padding max-pool window is −Inf)', () => {
    expect(compareArrays([-Infinity, Infinity, NaN], [-Infinity, Infinity, NaN], 1)).toMatchObject({ ok: true, worstRatio: 0 });
  });
  it('fails an infinity or NaN against anything else', () => {
    for (const [got, ref] of [[-Infinity, Infinity], [Infinity, 3e38], [NaN, 0], [0, NaN], [1, -Infinity], [3e38, Infinity]]) {
      const r = compareArrays([got!], [ref!], 1);
      expect(r.ok, `${got} vs ${ref}`).toBe(false);
      expect(r.worstRatio).toBe(Infinity);
    }
  });
  it('compares a sample (at): ref holds the elements of got at those indices, and a failure names the element of got', () => {
    const got = [5, 1, 9, 2];
    expect(compareArrays(got, [1, 2], 1, { at: [1, 3] }).ok).toBe(true);
    expect(compareArrays(got, [1, 2.01], 1, { at: [1, 3] }).message).toMatch(/^element 3: got 2, expected 2\.01/);
    expect(compareArrays(got, [1], 1, { at: [1, 3] }).ok).toBe(false);
  });
});
