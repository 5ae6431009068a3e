import type { BenchResult } from '../types.js';

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median: expected at least one value');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** GFLOP/s of `flops` operations in `ms` milliseconds. */
export function gflopsPerSecond(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

/** GB/s (10⁹ bytes per second) of `bytes` moved in `ms` milliseconds. */
export function gigabytesPerSecond(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}

export const isHypercolumn = (runner: string) => runner.startsWith('hypercolumn:');

/**
 * Fills `ratioToBestPeer` and `bestPeer` of every hypercolumn result: the fastest non-skipped peer
 * (a runner not named `hypercolumn:*`) on the same workload at the same thread count, and
 * `peerMs / ownMs` (> 1: hypercolumn is faster). Results without a peer at that thread count keep
 * both fields undefined. Returns the same array.
 */
export function attachRatios(results: BenchResult[]): BenchResult[] {
  for (const r of results) {
    if (!isHypercolumn(r.runner) || r.skipped) continue;
    let best: BenchResult | undefined;
    for (const p of results) {
      if (isHypercolumn(p.runner) || p.skipped || p.workload !== r.workload || p.threads !== r.threads) continue;
      if (!(p.medianMs > 0)) continue;
      if (!best || p.medianMs < best.medianMs) best = p;
    }
    if (best && r.medianMs > 0) {
      r.ratioToBestPeer = best.medianMs / r.medianMs;
      r.bestPeer = best.runner;
    } else {
      delete r.ratioToBestPeer;
      delete r.bestPeer;
    }
  }
  return results;
}

/** Uniform values in [lo, hi). */
export function randomArray(size: number, rand: () => number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}
