/**
 * Backend packages as the CLI and the benchmark see them: imported dynamically when installed (a
 * package that is not installed registers nothing; that is not an error), and their factories
 * (`createXBackend({threads})`) for registering thread-count variants such as `wasm@1t`.
 */
import type { Backend } from '@hypercolumn/core';

/** Backend packages picked up when installed (cpu is a dependency; the others once they exist). */
export const BACKEND_PACKAGES = ['@hypercolumn/backend-cpu', '@hypercolumn/backend-wasm', '@hypercolumn/backend-native', '@hypercolumn/backend-webgpu'];

/** The base backend of a variant name: "wasm@1t" → "wasm". */
export const baseBackend = (name: string): string => name.split('@')[0]!;

/** The package that registers backend `name` ("wasm@1t" → "@hypercolumn/backend-wasm"). */
export const packageOf = (name: string): string => `@hypercolumn/backend-${baseBackend(name)}`;

const notInstalled = (err: unknown, pkg: string) => {
  const e = err as { code?: string; message?: string };
  return (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && String(e.message).includes(pkg);
};

/**
 * Imports every installed backend package dynamically; returns what loaded, what is not installed
 * (not an error: that backend is simply not registered) and what failed to load.
 */
export async function importBackends(packages = BACKEND_PACKAGES): Promise<{ loaded: string[]; absent: string[]; failed: { pkg: string; error: string }[] }> {
  const loaded: string[] = [];
  const absent: string[] = [];
  const failed: { pkg: string; error: string }[] = [];
  for (const pkg of packages) {
    try {
      await import(pkg);
      loaded.push(pkg);
    } catch (err) {
      if (notInstalled(err, pkg)) absent.push(pkg);
      else failed.push({ pkg, error: String((err as Error)?.message ?? err).split('\n')[0]! });
    }
  }
  return { loaded, absent, failed };
}

export type BackendFactoryWithThreads = (options: { threads?: number; name?: string }) => Backend | Promise<Backend>;

/** `createWasmBackend` of `@hypercolumn/backend-wasm` for "wasm", or undefined when there is none. */
export async function backendFactory(name: string): Promise<BackendFactoryWithThreads | undefined> {
  const base = baseBackend(name);
  const pkg = packageOf(name);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pkg)) as Record<string, unknown>;
  } catch (err) {
    if (notInstalled(err, pkg)) return undefined;
    throw err;
  }
  const factory = mod[`create${base[0]!.toUpperCase()}${base.slice(1)}Backend`];
  return typeof factory === 'function' ? (factory as BackendFactoryWithThreads) : undefined;
}
