import { loadAddon } from '../src/addon.js';
import { createNativeBackend, type NativeBackend } from '../src/index.js';

/** The best instruction set the addon found on this CPU ('none' when the addon is not built). */
export function bestIsa(): string {
  const r = loadAddon();
  return 'addon' in r ? r.addon.bestIsa : 'none';
}

/** Every instruction set this CPU runs, best first. */
export function runnableIsas(): ('avx512' | 'avx2' | 'base')[] {
  const best = bestIsa();
  return best === 'avx512' ? ['avx512', 'avx2', 'base'] : best === 'avx2' ? ['avx2', 'base'] : best === 'base' ? ['base'] : [];
}

/**
 * A backend per instruction set and thread count. The 2-thread ones queue every convolution off the
 * JS thread (asyncMinFlops 0), so the random geometries also run through the queue and its checks.
 */
export function backends(): { label: string; backend: NativeBackend }[] {
  const out: { label: string; backend: NativeBackend }[] = [];
  for (const isa of runnableIsas())
    for (const threads of [1, 2])
      out.push({
        label: `${isa}/${threads}t${threads === 2 ? ' queued' : ''}`,
        backend: createNativeBackend({ isa, threads, asyncMinFlops: threads === 2 ? 0 : undefined }),
      });
  return out;
}

/**
 * Why native tests are skipped: the addon is not built (no compiler on this machine) and the run does
 * not demand it. CI with a compiler sets HYPERCOLUMN_REQUIRE_NATIVE=1, so a broken build fails there.
 */
export const skipReason: string | undefined = (() => {
  const r = loadAddon();
  if ('addon' in r || process.env.HYPERCOLUMN_REQUIRE_NATIVE === '1') return undefined;
  console.warn(`backend-native tests skipped: ${r.reason}`);
  return r.reason;
})();
