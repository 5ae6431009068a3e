/**
 * The PyTorch peer of `bench`: the same LeNet-5, batches and optimiser in PyTorch (CPU), run by
 * `python/lenet_torch.py` in one child process with a model per requested thread count
 * (`torch.set_num_threads`), timed step by step inside Python. The child serves rounds of steps on
 * request, so the benchmark can alternate them with hypercolumn's. PyTorch's CPU convolutions go through oneDNN (mkldnn) when it was
 * built with it: the reply says whether it was.
 *
 * Python: `$HC_PYTHON`, then `/usr/bin/python3` (Debian's python3-torch), then `python3`; the first that
 * imports torch runs it, else the result is the reason (each interpreter's).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The script shipped with the app (same relative path from src/ and dist/). */
export const LENET_TORCH_SCRIPT = fileURLToPath(new URL('../python/lenet_torch.py', import.meta.url));

export interface TorchBatch {
  /** n·784 standardised pixels. */
  x: Float32Array;
  y: Int32Array;
}

export interface PytorchLenetOptions {
  batches: TorchBatch[];
  batchSize: number;
  /** Untimed steps of each model when it starts. */
  warmup: number;
  threads: number[];
  lr: number;
  momentum: number;
  seed?: number;
  /** Interpreters to try (default `pythonCandidates()`). */
  python?: string[];
  script?: string;
}

export interface PytorchSteps {
  /** Milliseconds of each step. */
  times: number[];
  losses: number[];
}

interface Reply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/** The interpreters tried, in order: $HC_PYTHON, /usr/bin/python3, python3. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set([env.HC_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p))];
}

/** The batches as the script reads them: per batch, n·784 float32 then n int32, little-endian. */
export function encodeBatches(batches: readonly TorchBatch[], batchSize: number): Buffer {
  const per = batchSize * 784 * 4 + batchSize * 4;
  const out = Buffer.alloc(batches.length * per);
  batches.forEach((b, k) => {
    if (b.x.length !== batchSize * 784 || b.y.length !== batchSize) throw new Error(`batch ${k}: expected ${batchSize} images, got ${b.x.length / 784} and ${b.y.length} labels`);
    Buffer.from(b.x.buffer, b.x.byteOffset, b.x.byteLength).copy(out, k * per);
    Buffer.from(b.y.buffer, b.y.byteOffset, b.y.byteLength).copy(out, k * per + batchSize * 784 * 4);
  });
  return out;
}

/** A running `lenet_torch.py`: one request at a time, replies in order. */
export class PytorchLenet {
  private buffered = '';
  private stderr = '';
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private exited: string | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly python: string,
  ) {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, nl).trim();
        this.buffered = this.buffered.slice(nl + 1);
        if (!line) continue;
        const w = this.waiting;
        this.waiting = undefined;
        try {
          w?.resolve(JSON.parse(line) as Reply);
        } catch {
          w?.reject(new Error(`not a reply: ${line.slice(0, 200)}`));
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (this.stderr = (this.stderr + s).slice(-2000)));
    const fail = (why: string) => {
      this.exited ??= why;
      this.waiting?.reject(new Error(this.exited));
      this.waiting = undefined;
    };
    child.on('error', (err) => fail(err.message.split('\n')[0]!));
    child.on('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) without a reply${this.stderr.trim() ? `: ${this.stderr.trim().split('\n').pop()}` : ''}`));
  }

  torch = '';
  mkldnn = false;

  private request(req: object): Promise<Reply> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise<Reply>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.child.stdin.write(JSON.stringify(req) + '\n');
    }).then((r) => {
      if (!r.ok) throw new Error(r.error ?? 'unknown error');
      return r;
    });
  }

  /**
   * Starts the script in the first interpreter whose torch imports and builds (and warms up) a model
   * per thread count; resolves to the session, or to the reason none could (every interpreter's).
   */
  static async start(o: PytorchLenetOptions): Promise<PytorchLenet | string> {
    const script = o.script ?? LENET_TORCH_SCRIPT;
    if (!existsSync(script)) return `the PyTorch script is missing (${script})`;
    const dir = mkdtempSync(join(tmpdir(), 'train-mnist-torch-'));
    try {
      const file = join(dir, 'batches.bin');
      writeFileSync(file, encodeBatches(o.batches, o.batchSize));
      const init = {
        type: 'init', batches: file, count: o.batches.length, batchSize: o.batchSize, warmup: o.warmup,
        threads: o.threads, lr: o.lr, momentum: o.momentum, seed: o.seed ?? 1,
      };
      const reasons: string[] = [];
      for (const python of o.python ?? pythonCandidates()) {
        const child = spawn(python, ['-u', script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
        const session = new PytorchLenet(child, python);
        try {
          const r = await session.request(init);
          session.torch = String(r.torch);
          session.mkldnn = r.mkldnn === true;
          return session;
        } catch (err) {
          session.close();
          reasons.push(`${python}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      return `no Python with PyTorch (set HC_PYTHON, or install python3-torch): ${reasons.join('; ')}`;
    } finally {
      rmSync(dir, { recursive: true, force: true }); // read by init
    }
  }

  /** `n` timed steps of the model at `threads`. */
  async steps(threads: number, n: number): Promise<PytorchSteps> {
    const r = await this.request({ type: 'steps', threads, n });
    return { times: r.times as number[], losses: r.losses as number[] };
  }

  close(): void {
    if (this.exited) return;
    this.exited = 'closed';
    this.child.stdin.end();
    this.child.kill();
  }
}
