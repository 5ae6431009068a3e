import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled addon's surface (native/binding.cc). */
export interface NativeContext {
  write(values: Float32Array): number;
  adopt(values: Float32Array): number;
  read(id: number, out: Float32Array): void;
  /** The values in a new Float32Array (large ones over a pooled, pre-faulted block). */
  readNew(id: number): Float32Array;
  /** undefined when the tensor is ready, else a Promise of its values once its queued kernel is done. */
  readAsync(id: number): Promise<Float32Array> | undefined;
  /** The tensor's own block as a Float32Array, kept from reuse until collected (a copy where it cannot). */
  view(id: number): Float32Array;
  borrow(id: number): Float32Array;
  /** undefined when no kernel is queued, else a Promise resolved when the queue is done. */
  whenIdle(): Promise<void> | undefined;
  free(id: number): void;
  exec(op: number, args: Float64Array, outIds: Float64Array): void;
  memory(): { bytes: number; liveBytes: number; cacheBytes: number; scratchBytes: number; readbackBytes: number; viewBytes: number };
  info(): { isa: string; threads: number; kernels: string[] };
  liveCount(): number;
  dispose(): void;
}
export interface NativeAddon {
  Context: new (threads: number, isa?: string, asyncMinFlops?: number) => NativeContext;
  bestIsa: string;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIX =
  'install a C++17 compiler (g++ or clang++, e.g. `apt-get install g++`) and run ' +
  '`pnpm --filter @hypercolumn/backend-native build:native` (or reinstall)';

let cached: { addon: NativeAddon } | { reason: string } | undefined;

/** Loads build/hypercolumn_native.node once (or the file in HYPERCOLUMN_NATIVE_ADDON); else why not. */
export function loadAddon(): { addon: NativeAddon } | { reason: string } {
  if (cached) return cached;
  const file = process.env.HYPERCOLUMN_NATIVE_ADDON ?? join(packageRoot, 'build', 'hypercolumn_native.node');
  if (!existsSync(file)) {
    let why = 'the native addon was not built';
    try {
      const status = JSON.parse(readFileSync(join(packageRoot, 'build', 'status.json'), 'utf8'));
      if (status.ok === false) why = `the native build failed: ${status.reason}`;
    } catch {
      why += ' (the install script did not run)';
    }
    return (cached = { reason: `${why}; to fix: ${FIX}` });
  }
  try {
    return (cached = { addon: createRequire(import.meta.url)(file) as NativeAddon });
  } catch (e) {
    return (cached = { reason: `the native addon failed to load: ${(e as Error).message}; to fix: ${FIX}` });
  }
}
