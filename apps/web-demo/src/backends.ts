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

export interface BackendEntry {
  name: string;
  installed: boolean;
  available: boolean;
  reason?: string;
  priority?: number;
  threads?: number;
  /** Every contract kernel with how this backend runs it (empty when unavailable). */
  kernels: { name: hc.KernelName; resolution: hc.KernelResolution }[];
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
    ...(info.threads !== undefined ? { threads: info.threads } : {}),
    kernels: info.available ? hc.kernelNames.map((name) => ({ name, resolution: info.resolution[name] ?? 'missing' })) : [],
  }));
  for (const [name, reason] of notInstalled) {
    if (!entries.some((e) => e.name === name)) entries.push({ name, installed: false, available: false, reason, kernels: [] });
  }
  return entries;
}

/** Threads the current backend uses, as it reports them (listBackends); undefined when it states none (webgpu). */
export async function currentThreads(): Promise<number | undefined> {
  const name = hc.getBackend();
  return (await hc.listBackends()).find((b) => b.name === name)?.threads;
}

/**
 * Threads in words. A backend that reports none runs its kernels on the calling thread (cpu), or on
 * the GPU (webgpu).
 */
export function threadsText(backend: string, n: number | undefined): string {
  if (n === undefined) return backend === 'webgpu' ? 'GPU' : '1 thread';
  return `${n} thread${n === 1 ? '' : 's'}`;
}
