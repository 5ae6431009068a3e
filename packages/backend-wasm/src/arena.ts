import { HypercolumnError } from '@hypercolumn/core';

/** Bytes of wasm memory per page. */
export const PAGE = 65536;

/**
 * Rounds a request up to its size class: multiples of 64 bytes up to 4 KiB, then four classes per
 * power of two (at most 25 % slack), so freed blocks are found again by exact class.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 4096) return Math.max(64, Math.ceil(bytes / 64) * 64);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 2);
  return Math.ceil(bytes / step) * step;
}

/**
 * The JS-side allocator of one WebAssembly.Memory: a bump pointer above the module's static data,
 * with per-class free lists so steady-state training reuses blocks and never grows the memory.
 * Memory growth past the engine's (or the configured) limit is a HypercolumnError.
 */
export class Arena {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  private freeBytes = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly base: number,
    private readonly maxBytes: number,
  ) {
    this.top = Math.ceil(base / 64) * 64;
  }

  /** A block of at least `bytes` bytes, 64-byte aligned; returns [pointer, class size]. */
  alloc(bytes: number): [number, number] {
    const cls = sizeClass(bytes);
    const list = this.freeLists.get(cls);
    if (list && list.length > 0) {
      this.freeBytes -= cls;
      return [list.pop()!, cls];
    }
    const ptr = this.top;
    const end = ptr + cls;
    if (end > this.memory.buffer.byteLength) this.grow(end);
    this.top = end;
    return [ptr, cls];
  }

  release(ptr: number, cls: number): void {
    let list = this.freeLists.get(cls);
    if (!list) this.freeLists.set(cls, (list = []));
    list.push(ptr);
    this.freeBytes += cls;
  }

  /** Bytes handed out or kept for reuse (everything above the static data). */
  get reservedBytes(): number {
    return this.top - this.base;
  }

  get liveBytes(): number {
    return this.top - this.base - this.freeBytes;
  }

  private grow(end: number): void {
    const have = this.memory.buffer.byteLength;
    // grow by at least an eighth so a run of small allocations does not grow page by page
    const want = Math.max(end, have + Math.floor(have / 8));
    const limit = Math.min(this.maxBytes, want);
    const target = Math.max(end, limit);
    const pages = Math.ceil((target - have) / PAGE);
    if (end > this.maxBytes) this.outOfMemory(end);
    try {
      this.memory.grow(pages);
    } catch {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch {
        this.outOfMemory(end);
      }
    }
  }

  private outOfMemory(end: number): never {
    throw new HypercolumnError(
      `wasm: memory expected at most ${this.maxBytes} bytes, got a request for ${end} bytes ` +
        `(${this.liveBytes} in live tensors); free tensors (dispose / hc.scope) or use a smaller batch`,
      'wasm',
      'memory',
    );
  }
}
