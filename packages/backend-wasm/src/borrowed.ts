/**
 * The JavaScript arrays that `borrow()` copies results into, recycled. A result read in a loop then
 * lands in the same warm memory every time, where a new array of tens of MB is fresh pages (10–40 µs
 * each to fault in, in these VMs) whenever the allocator has just handed freed memory back to the
 * system: conv B's 25.7 MB result took ~90 ms to read then, ~2 ms otherwise. When the tensor is
 * freed, the caller's array is detached (a structuredClone transfer: no copy, its length becomes 0)
 * and its memory waits for the next borrow of that size.
 */
export class BorrowedArrays {
  /**
   * Results smaller than a page are plain copies: a new array that small costs less than the
   * bookkeeping. From a page up they are recycled too: a 16 KiB result read in a loop took 30 µs a
   * read, and 85 µs in stretches where each new array's pages faulted.
   */
  static readonly MIN_BYTES = 4 * 1024;
  private readonly spare = new Map<number, ArrayBuffer[]>();
  private spareBytes = 0;

  constructor(private readonly maxSpareBytes = 256 * 1024 * 1024) {}

  /** An array of `size` floats: a spare one of that size, or a new one. */
  take(size: number): Float32Array {
    const bytes = size * 4;
    const reused = this.spare.get(bytes)?.pop();
    if (reused) this.spareBytes -= bytes;
    return new Float32Array(reused ?? new ArrayBuffer(bytes));
  }

  /** Detaches the arrays from their holders and keeps their memory for later borrows. */
  reclaim(arrays: readonly Float32Array[]): void {
    for (const a of arrays) {
      const buffer = a.buffer as ArrayBuffer;
      if (buffer.byteLength === 0) continue; // detached already (the caller transferred it)
      const kept = structuredClone(buffer, { transfer: [buffer] });
      if (this.spareBytes + kept.byteLength > this.maxSpareBytes) continue;
      let list = this.spare.get(kept.byteLength);
      if (!list) this.spare.set(kept.byteLength, (list = []));
      list.push(kept);
      this.spareBytes += kept.byteLength;
    }
  }

  /** Bytes of spare arrays held for later borrows. */
  get bytes(): number {
    return this.spareBytes;
  }

  clear(): void {
    this.spare.clear();
    this.spareBytes = 0;
  }
}
