import * as hc from '@hypercolumn/core';
import { describe, expect, it } from 'vitest';
import { createNativeBackend, type NativeBackendOptions } from '../src/index.js';
import { skipReason } from './helpers.js';

describe('createNativeBackend options', () => {
  // each: the options, the argument the error must name
  const hostile: [unknown, string][] = [
    [{ threads: 0 }, 'threads'], [{ threads: -1 }, 'threads'], [{ threads: 1.5 }, 'threads'], [{ threads: '2' }, 'threads'],
    [{ threads: 257 }, 'threads'], [{ threads: NaN }, 'threads'],
    [{ isa: 'sse' }, 'isa'], [{ isa: 1 }, 'isa'],
    [{ asyncMinFlops: -1 }, 'asyncMinFlops'], [{ asyncMinFlops: NaN }, 'asyncMinFlops'], [{ asyncMinFlops: 'big' }, 'asyncMinFlops'],
    [{ name: '' }, 'name'], [{ name: 5 }, 'name'],
    [null, 'options'], [[], 'options'], ['fast', 'options'],
  ];
  it.each(hostile)('%j is a HypercolumnError naming %s, and nothing is allocated', (options, argument) => {
    const before = hc.memory();
    let caught: unknown;
    try {
      createNativeBackend(options as NativeBackendOptions);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(hc.HypercolumnError);
    expect((caught as Error).message).toMatch(new RegExp(`^createNativeBackend: ${argument} expected `));
    expect(hc.memory()).toEqual(before);
  });

  it.skipIf(skipReason !== undefined)('valid options still make a working backend', () => {
    const b = createNativeBackend({ threads: 1, asyncMinFlops: Infinity, name: 'native-options' });
    expect(b.threads).toBe(1);
    b.dispose();
  });
});
