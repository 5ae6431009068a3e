/**
 * Launch and upload counters per backend: kernels run natively (compositions count the kernels they
 * run), host-to-backend writes and backend-to-host reads. Tests and benchmarks use them to hold the
 * per-step budgets of DESIGN §2 (a LeNet-5 SGD step in ≤ 60 launches and ≤ 3 uploads).
 */
import type { Backend } from './backend.js';

export interface BackendCounts {
  /** Kernel calls on the backend (one per launch of a native kernel). */
  launches: number;
  /** `write` calls (uploads of host data). */
  writes: number;
  /** Reads back to the host (`read`, `readSync`, `readInto`). */
  reads: number;
  /** Launches by kernel name. */
  kernels: Record<string, number>;
}

let counts: Record<string, BackendCounts> = {};

function entry(backend: Backend<any>): BackendCounts {
  return (counts[backend.name] ??= { launches: 0, writes: 0, reads: 0, kernels: {} });
}

export function countLaunch(backend: Backend<any>, kernel: string): void {
  const e = entry(backend);
  e.launches++;
  e.kernels[kernel] = (e.kernels[kernel] ?? 0) + 1;
}
export function countWrite(backend: Backend<any>): void {
  entry(backend).writes++;
}
export function countRead(backend: Backend<any>): void {
  entry(backend).reads++;
}

/** Counts since the last `resetLaunchCounts()`, per backend name (a snapshot). */
export function launchCounts(): Record<string, BackendCounts> {
  return structuredClone(counts);
}

/** Zeroes every counter. */
export function resetLaunchCounts(): void {
  counts = {};
}
