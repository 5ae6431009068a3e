/**
 * How each kernel runs on a backend (DESIGN §2): the backend's own kernel ('native') → a
 * composition defined once in core from kernels that resolve on the same backend ('composite') →
 * the cpu kernel with copies, only for a backend that reads synchronously ('fallback') → 'missing'.
 */
import type { Backend } from './backend.js';
import { COMPOSITES } from './composites.js';
import { type KernelName, kernelNames } from './kernels.js';

export type KernelResolution = 'native' | 'composite' | 'fallback' | 'missing';

const cache = new WeakMap<Backend<any>, Map<KernelName, KernelResolution>>();

/**
 * How `name` runs on `backend`; `cpu` is the fallback backend (undefined when none is registered).
 * Cached per backend instance (kernel tables are fixed once a backend exists).
 */
export function resolveKernel(backend: Backend<any>, name: KernelName, cpu: Backend<any> | undefined): KernelResolution {
  let known = cache.get(backend);
  if (!known) cache.set(backend, (known = new Map()));
  const hit = known.get(name);
  if (hit) return hit;
  const result = resolveUncached(backend, name, cpu, new Set());
  // 'missing' may change once a cpu backend registers
  if (result !== 'missing') known.set(name, result);
  return result;
}

function resolveUncached(backend: Backend<any>, name: KernelName, cpu: Backend<any> | undefined, visiting: Set<KernelName>): KernelResolution {
  if (backend.kernels[name]) return 'native';
  const composite = COMPOSITES[name];
  if (composite && !visiting.has(name)) {
    visiting.add(name);
    const ok = composite.uses.every((k) => {
      const r = resolveUncached(backend, k, cpu, visiting);
      return r === 'native' || r === 'composite';
    });
    visiting.delete(name);
    if (ok) return 'composite';
  }
  if (backend.readSync && cpu && cpu !== backend && cpu.kernels[name]) return 'fallback';
  return 'missing';
}

/** Every kernel's resolution on `backend`. */
export function resolutionTable(backend: Backend<any>, cpu: Backend<any> | undefined): Record<KernelName, KernelResolution> {
  return Object.fromEntries(kernelNames.map((k) => [k, resolveKernel(backend, k, cpu)])) as Record<KernelName, KernelResolution>;
}
