import * as hc from '@hypercolumn/core';
import '@hypercolumn/backend-cpu';
import { UsageError, type BackendChoice } from './options.js';

const OPTIONAL = ['wasm', 'webgpu', 'native'] as const;
/** Why an optional backend package could not be imported (name → reason). */
const importFailures = new Map<string, string>();
let registered = false;

/**
 * Imports the optional backend packages that are installed (each registers itself). A package that
 * is missing or fails to load is remembered with the reason, never fatal.
 */
export async function registerBackends(): Promise<void> {
  if (registered) return;
  registered = true;
  await Promise.all(
    OPTIONAL.map(async (name) => {
      const specifier = `@hypercolumn/backend-${name}`;
      try {
        await import(specifier);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        importFailures.set(
          name,
          code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
            ? `its package ${specifier} is not installed`
            : `its package ${specifier} failed to load: ${(err as Error).message.split('\n')[0]}`,
        );
      }
    }),
  );
}

/** Makes `choice` the current backend and returns its name; UsageError (with a suggestion) if it cannot. */
export async function chooseBackend(choice: BackendChoice): Promise<string> {
  await registerBackends();
  if (choice === 'auto') {
    try {
      return await hc.ready();
    } catch (err) {
      throw new UsageError(`no backend is available: ${(err as Error).message}`);
    }
  }
  // A registered choice that starts is taken without starting the others (webgpu's Dawn talks on stderr).
  if ((await hc.setBackend(choice).then(() => true, () => false))) return choice;
  const infos = await hc.listBackends();
  const available = infos.filter((b) => b.available).map((b) => b.name);
  const suggest = available.length ? ` Available: ${available.join(', ')}; try --backend ${available[0]} (or --backend auto).` : '';
  const info = infos.find((b) => b.name === choice);
  if (!info) {
    const why = importFailures.get(choice) ?? 'it is not registered';
    throw new UsageError(`backend "${choice}" is not available: ${why}.${suggest}`);
  }
  if (!info.available) throw new UsageError(`backend "${choice}" is not available: ${info.reason ?? 'it failed to start'}.${suggest}`);
  await hc.setBackend(choice);
  return choice;
}

/**
 * Registers `<backend>@<threads>t`, made by the package's factory (`createWasmBackend({threads})`), makes
 * it the current backend and returns its name; UsageError when the backend does not start.
 */
export async function useThreadVariant(backend: 'wasm' | 'native' | string, threads: number): Promise<string> {
  const name = `${backend}@${threads}t`;
  const mod = (await import(`@hypercolumn/backend-${backend}`)) as Record<string, unknown>;
  const factory = mod[`create${backend[0]!.toUpperCase()}${backend.slice(1)}Backend`] as
    | ((o: { threads: number; name: string }) => hc.Backend | Promise<hc.Backend>)
    | undefined;
  if (typeof factory !== 'function') throw new UsageError(`backend "${backend}" has no factory taking a thread count`);
  hc.registerBackend(name, () => factory({ threads, name }), -1);
  try {
    await hc.setBackend(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return name;
}
