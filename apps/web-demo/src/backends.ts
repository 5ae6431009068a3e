/**
 * Which backends this page has. cpu is always bundled; the others are optional packages imported
 * dynamically: a package that is not a dependency of the build resolves to a module that throws
 * (vite.config.ts), so it shows up as "not installed". Shipping wasm or webgpu is only a matter
 * of adding the package to package.json.
 */
import * as hc from '@hypercolumn/core';
import '@hypercolumn/backend-cpu';

const OPTIONAL: Record<string, () => Promise<unknown>> = {
  webgpu: () => import('@hypercolumn/backend-webgpu'),
  wasm: () => import('@hypercolumn/backend-wasm'),
};

/** How a backend runs one kernel of the contract. */
export type Resolution = 'native' | 'composite' | 'fallback' | 'missing' | 'composite or fallback';

export interface BackendEntry {
  name: string;
  installed: boolean;
  available: boolean;
  reason?: string;
  priority?: number;
  /** Every contract kernel with how this backend runs it (empty when unavailable). */
  kernels: { name: hc.KernelName; resolution: Resolution }[];
}

const notInstalled = new Map<string, string>();
let loaded: Promise<void> | undefined;

/** Imports the optional backend packages once; each registers itself on import. */
export function loadOptionalBackends(): Promise<void> {
  loaded ??= Promise.all(
    Object.entries(OPTIONAL).map(async ([name, load]) => {
      try {
        await load();
      } catch (err) {
        notInstalled.set(name, err instanceof Error ? err.message : String(err));
      }
    }),
  ).then(() => undefined);
  return loaded;
}

/**
 * The resolution of each kernel. `listBackends()` names the kernels a backend implements itself; an
 * engine that also reports its per-kernel resolution (`resolutions`) is used as is, otherwise the
 * rest are "composite or fallback" (core picks its composition where it has one, else cpu).
 */
function resolutions(info: hc.BackendInfo): BackendEntry['kernels'] {
  if (!info.available) return [];
  const reported = (info as { resolutions?: Partial<Record<hc.KernelName, Resolution>> }).resolutions;
  const own = new Set(info.kernels);
  return hc.kernelNames.map((name) => ({
    name,
    resolution: reported?.[name] ?? (own.has(name) ? 'native' : 'composite or fallback'),
  }));
}

/** Every backend the page knows of: registered ones from `hc.listBackends()`, then the uninstalled ones. */
export async function describeBackends(): Promise<BackendEntry[]> {
  await loadOptionalBackends();
  const infos = await hc.listBackends();
  const entries: BackendEntry[] = infos.map((info) => ({
    name: info.name,
    installed: true,
    available: info.available,
    ...(info.reason !== undefined ? { reason: info.reason } : {}),
    priority: info.priority,
    kernels: resolutions(info),
  }));
  for (const [name, reason] of notInstalled) {
    if (!entries.some((e) => e.name === name)) entries.push({ name, installed: false, available: false, reason, kernels: [] });
  }
  return entries;
}

/** Threads the current backend uses: its own `threads` field when it states one, else 1 for cpu. */
export function currentThreads(): number {
  const probe = hc.tensor(new Float32Array(1), [1]);
  try {
    const own = (probe.storage.backend as { threads?: unknown }).threads;
    if (typeof own === 'number' && own > 0) return own;
    return probe.backend === 'cpu' ? 1 : navigator.hardwareConcurrency || 1;
  } finally {
    probe.dispose();
  }
}
