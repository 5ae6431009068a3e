import { HypercolumnError } from '@hypercolumn/core';

// Control block shared with the workers (a SharedArrayBuffer beside the wasm memory). Slot w has
// Int32 fields [seq, done, status, fn, nargs] at 16·w, then one shared Int32, the first unit not yet
// taken of the kernel in flight (NEXT), and the slots' float64 arguments (kernel arguments, then
// units, smallest chunk and threads) at ARGS_AT + 32·8·w.
const SLOT = 16;
const SEQ = 0, DONE = 1, STATUS = 2, FN = 3, NARGS = 4;
const MAX_ARGS = 32;
/** The smallest chunk is this fraction of a thread's share of the units (at least one unit). */
const MIN_CHUNKS_PER_THREAD = 64;

/**
 * Takes the next chunk of units [0, units) from the shared counter ctl[next] into range
 * ([lo, hi)); false when none is left. Guided: a chunk is what is left over 2·parts, at least
 * minChunk, so chunks start large (few calls, long runs of neighbouring units) and end small,
 * and the threads finish together. (Equal chunks of an eighth of the units left a thread idle for
 * up to one chunk at the end: conv1d's 128 units ran in 16-unit chunks of ~1.5 ms.) Runs in the
 * workers as source too, so it refers to nothing outside itself.
 */
function takeChunk(ctl: Int32Array, next: number, units: number, parts: number, minChunk: number, range: number[]): boolean {
  let lo = Atomics.load(ctl, next);
  for (;;) {
    if (lo >= units) return false;
    const hi = Math.min(units, lo + Math.max(minChunk, Math.ceil((units - lo) / (2 * parts))));
    const seen = Atomics.compareExchange(ctl, next, lo, hi);
    if (seen === lo) {
      range[0] = lo;
      range[1] = hi;
      return true;
    }
    lo = seen;
  }
}
/** How long the main thread waits for a worker before it declares it dead. */
const WORKER_TIMEOUT_MS = 60_000;

/**
 * The worker's loop, as source so it needs no file of its own (no bundler or path games): it
 * instantiates the module on the shared memory, then waits on its slot, runs the kernel it is given
 * and reports completion (status 1 if the kernel threw).
 */
const WORKER_LOOP = `
${takeChunk.toString()}
function run(init) {
  const { module, memory, control, slot, names, argsAt, next } = init;
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const ctl = new Int32Array(control);
  const args = new Float64Array(control, argsAt + slot * ${MAX_ARGS} * 8, ${MAX_ARGS});
  const base = slot * ${SLOT};
  const fns = names.map((n) => instance.exports[n]);
  let seen = 0;
  Atomics.store(ctl, base + ${DONE}, 0);
  for (;;) {
    Atomics.wait(ctl, base + ${SEQ}, seen);
    seen = Atomics.load(ctl, base + ${SEQ});
    if (seen < 0) return;
    let status = 0;
    try {
      const n = ctl[base + ${NARGS}];
      const a = new Array(n + 2), range = [0, 0];
      for (let i = 0; i < n; i++) a[i] = args[i];
      const units = args[n], minChunk = args[n + 1], parts = args[n + 2], f = fns[ctl[base + ${FN}]];
      // chunks of [0, units) from the shared counter until none is left
      while (${takeChunk.name}(ctl, next, units, parts, minChunk, range)) {
        a[n] = range[0];
        a[n + 1] = range[1];
        f(...a);
      }
    } catch (e) {
      status = 1;
    }
    ctl[base + ${STATUS}] = status;
    Atomics.store(ctl, base + ${DONE}, seen);
    Atomics.notify(ctl, base + ${DONE});
  }
}
`;

interface WorkerHandle {
  terminate(): unknown;
  dead: string | null;
}

/**
 * A Node built-in, imported through a variable so that browser bundlers (esbuild, Vite) leave it
 * alone: it is only reached when running in Node.
 */
function nodeImport(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

/**
 * Worker threads on the shared memory, one slot each. `run` splits a kernel's units between the
 * caller's thread (part 0) and the workers; `blocking` says whether the caller may Atomics.wait
 * (Node, workers) or must await Atomics.waitAsync (a browser's main thread).
 */
export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array[];
  private readonly seq: number[];
  private workers: WorkerHandle[] = [];
  readonly blocking: boolean;
  private readonly fnIndex = new Map<string, number>();

  private constructor(
    readonly size: number,
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly names: string[],
    private readonly control: SharedArrayBuffer,
  ) {
    this.ctl = new Int32Array(control, 0, size * SLOT + 4);
    this.args = Array.from({ length: size }, (_, w) => new Float64Array(control, this.argsAt + w * MAX_ARGS * 8, MAX_ARGS));
    this.seq = new Array(size).fill(0);
    names.forEach((n, i) => this.fnIndex.set(n, i));
    this.blocking = isNode || typeof (globalThis as { document?: unknown }).document === 'undefined';
  }

  /** Index in ctl of the shared chunk counter. */
  private get next(): number {
    return this.size * SLOT;
  }

  private get argsAt(): number {
    return (this.size * SLOT + 4) * 4;
  }

  /** Starts `size` workers; resolves once each has instantiated the module. */
  static async start(size: number, module: WebAssembly.Module, memory: WebAssembly.Memory, names: string[]): Promise<ThreadPool> {
    const control = new SharedArrayBuffer((size * SLOT + 4) * 4 + size * MAX_ARGS * 8);
    const pool = new ThreadPool(size, module, memory, names, control);
    for (let w = 0; w < size; w++) pool.workers.push(await pool.spawn(w));
    return pool;
  }

  private async spawn(slot: number): Promise<WorkerHandle> {
    const init = { module: this.module, memory: this.memory, control: this.control, slot, names: this.names, argsAt: this.argsAt, next: this.next };
    Atomics.store(this.ctl, slot * SLOT + DONE, -1);
    this.seq[slot] = 0;
    Atomics.store(this.ctl, slot * SLOT + SEQ, 0);
    let handle: WorkerHandle;
    if (isNode) {
      const { Worker } = await nodeImport('node:worker_threads') as typeof import('node:worker_threads');
      // eval'd code is a module when the process runs with --input-type=module (workers inherit
      // execArgv): import() works in both kinds, require only in CommonJS
      const w = new Worker(`${WORKER_LOOP}\nimport('node:worker_threads').then((m) => run(m.workerData));`, { eval: true, workerData: init });
      handle = { terminate: () => w.terminate(), dead: null };
      w.on('error', (e) => (handle.dead = `worker ${slot} failed: ${e.message}`));
      w.on('exit', (code) => (handle.dead ??= `worker ${slot} exited (code ${code})`));
      w.unref();
    } else {
      const url = URL.createObjectURL(new Blob([`${WORKER_LOOP}\nonmessage = (e) => run(e.data);`], { type: 'text/javascript' }));
      const w = new Worker(url);
      handle = { terminate: () => w.terminate(), dead: null };
      w.onerror = (e) => (handle.dead = `worker ${slot} failed: ${e.message}`);
      w.postMessage(init);
    }
    // wait until the worker is in its loop (DONE goes from -1 to 0)
    const t0 = Date.now();
    while (Atomics.load(this.ctl, slot * SLOT + DONE) !== 0) {
      if (handle.dead) throw new HypercolumnError(`wasm: ${handle.dead}`, 'wasm', 'threads');
      if (Date.now() - t0 > WORKER_TIMEOUT_MS) throw new HypercolumnError('wasm: worker did not start', 'wasm', 'threads');
      await new Promise((r) => setTimeout(r, 1));
    }
    return handle;
  }

  /** Wakes worker w for a kernel call: it takes chunks of [0, units) (takeChunk) until none is left. */
  private post(w: number, fn: number, args: readonly number[], units: number, minChunk: number, parts: number): void {
    const slot = w * SLOT, a = this.args[w]!;
    // a typed array drops writes past its end: a kernel with too many arguments would run on stale ones
    if (args.length + 3 > MAX_ARGS) throw new Error(`wasm pool: ${args.length} kernel arguments, at most ${MAX_ARGS - 3}`);
    for (let i = 0; i < args.length; i++) a[i] = args[i]!;
    a[args.length] = units;
    a[args.length + 1] = minChunk;
    a[args.length + 2] = parts;
    this.ctl[slot + FN] = fn;
    this.ctl[slot + NARGS] = args.length;
    this.ctl[slot + STATUS] = 0;
    this.seq[w] = (this.seq[w]! + 1) & 0x3fffffff;
    Atomics.store(this.ctl, slot + SEQ, this.seq[w]!);
    Atomics.notify(this.ctl, slot + SEQ);
  }

  /**
   * Runs fn over units [0, units) on `parts` threads (parts − 1 workers plus the caller), in chunks
   * each thread takes from a shared counter as it finishes the last (a thread that wakes late or is
   * descheduled leaves its share to the others); `local` runs the caller's chunks. Blocking mode
   * returns when all are done; otherwise the promise settles then.
   */
  run(name: string, args: readonly number[], units: number, parts: number, local: (lo: number, hi: number) => void): Promise<void> | void {
    const fn = this.fnIndex.get(name)!;
    if (this.restartPromise) {
      // workers are being replaced after a failure: run on this thread meanwhile
      local(0, units);
      return;
    }
    const dead = this.workers.find((w) => w.dead);
    if (dead) this.fail(dead.dead!);
    const minChunk = Math.max(1, Math.floor(units / (parts * MIN_CHUNKS_PER_THREAD)));
    Atomics.store(this.ctl, this.next, 0);
    for (let k = 1; k < parts; k++) this.post(k - 1, fn, args, units, minChunk, parts);
    let localError: unknown = null;
    const range = [0, 0];
    try {
      while (takeChunk(this.ctl, this.next, units, parts, minChunk, range)) local(range[0]!, range[1]!);
    } catch (e) {
      localError = e;
    }
    if (this.blocking) {
      for (let k = 1; k < parts; k++) this.waitBlocking(k - 1);
      this.finish(parts, localError);
      return;
    }
    return (async () => {
      for (let k = 1; k < parts; k++) await this.waitAsync(k - 1);
      this.finish(parts, localError);
    })();
  }

  private finish(parts: number, localError: unknown): void {
    if (localError) throw localError;
    for (let k = 1; k < parts; k++) {
      if (this.ctl[(k - 1) * SLOT + STATUS] !== 0) this.fail(`worker ${k - 1}: a kernel trapped`);
    }
  }

  private waitBlocking(w: number): void {
    const at = w * SLOT + DONE, want = this.seq[w]!;
    const t0 = Date.now();
    for (;;) {
      const v = Atomics.load(this.ctl, at);
      if (v === want) return;
      Atomics.wait(this.ctl, at, v, 100);
      if (Date.now() - t0 > WORKER_TIMEOUT_MS) this.fail(`worker ${w} did not answer in ${WORKER_TIMEOUT_MS} ms`);
    }
  }

  private async waitAsync(w: number): Promise<void> {
    const at = w * SLOT + DONE, want = this.seq[w]!;
    const t0 = Date.now();
    for (;;) {
      const v = Atomics.load(this.ctl, at);
      if (v === want) return;
      if (this.workers[w]?.dead) this.fail(this.workers[w]!.dead!);
      const r = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } })
        .waitAsync(this.ctl, at, v, 100);
      if (r.async) await r.value;
      if (Date.now() - t0 > WORKER_TIMEOUT_MS) this.fail(`worker ${w} did not answer in ${WORKER_TIMEOUT_MS} ms`);
    }
  }

  /** A worker failed: replace every worker (the pool recovers) and raise. */
  private fail(reason: string): never {
    this.restart();
    throw new HypercolumnError(`wasm: ${reason}; the thread pool was restarted`, 'wasm', 'threads');
  }

  private restartPromise: Promise<void> | null = null;
  /** Resolves when a restart begun after a failure has finished. */
  get ready(): Promise<void> {
    return this.restartPromise ?? Promise.resolve();
  }

  private restart(): void {
    for (const w of this.workers) {
      void w.terminate();
    }
    const old = this.workers;
    this.workers = old.map(() => ({ terminate: () => undefined, dead: 'restarting' }));
    this.restartPromise = (async () => {
      for (let w = 0; w < this.size; w++) this.workers[w] = await this.spawn(w);
      this.restartPromise = null;
    })();
    this.restartPromise.catch(() => undefined);
  }

  /** Kills worker w (tests: a worker that dies). */
  killWorker(w: number): void {
    void this.workers[w]?.terminate();
    this.workers[w]!.dead = `worker ${w} was terminated`;
  }

  dispose(): void {
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.ctl, w * SLOT + SEQ, -1);
      Atomics.notify(this.ctl, w * SLOT + SEQ);
      void this.workers[w]!.terminate();
    }
    this.workers = [];
  }
}
