/**
 * Kernel launch tracing: which kernels an op actually ran and how each was resolved on its backend.
 * The conformance runner records kernel lists per case from this instead of hand-written
 * declarations. Tracing is synchronous (kernels are launched synchronously; `scope` is sync too).
 */
import type { KernelName } from './kernels.js';
import type { KernelResolution } from './resolution.js';

/** How a kernel ran on a backend: its own kernel, a core composition, the cpu fallback, or nowhere. */
export type KernelRoute = KernelResolution;

export interface KernelLaunch {
  kernel: KernelName;
  backend: string;
  route: KernelRoute;
}

const tracers: KernelLaunch[][] = [];

/** Called by the engine for every kernel it resolves (cheap when nothing traces). */
export function noteKernelLaunch(kernel: KernelName, backend: string, route: KernelRoute): void {
  for (const t of tracers) t.push({ kernel, backend, route });
}

/**
 * Runs `fn` (synchronously) and returns its result with every kernel launch it made, in order.
 * Launches are appended to `launches` as they happen, so a caller that passes its own array still
 * sees them when `fn` throws.
 */
export function traceKernels<T>(fn: () => T, launches: KernelLaunch[] = []): { result: T; launches: KernelLaunch[] } {
  tracers.push(launches);
  try {
    const result = fn();
    return { result, launches };
  } finally {
    tracers.splice(tracers.lastIndexOf(launches), 1);
  }
}
