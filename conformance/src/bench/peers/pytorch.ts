/**
 * PyTorch peer (`pytorch`): the workloads run by PyTorch's CPU kernels (ATen; convolutions through
 * oneDNN/mkldnn where PyTorch was built with it) in a Python child process, at 1 thread and at all
 * cores (`torch.set_num_threads`).
 *
 * One child per benchmark run, shared by every `pytorch` runner and spoken to in JSON lines (the script
 * is `conformance/python/pytorch_peer.py`). The child times each workload itself, with the same warm-up
 * and run-count rules as `measure`: each run is the op plus `.numpy()` of every output the hypercolumn
 * runner reads back, so no pipe round trip is inside a timed run. Inputs are made in Python with the
 * same shapes (values do not matter for timing); tests send the benchmark's own inputs to compare the
 * outputs. Backward workloads call the backward kernel autograd would (`aten.convolution_backward`,
 * `native_*_norm_backward`) with statistics from an untimed forward run.
 *
 * Python: `$HC_PYTHON`, then `/usr/bin/python3` (Debian's `python3-torch`), then `python3` on PATH;
 * the first that imports torch is used, else the runner is skipped with each candidate's reason.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchInputs, BenchRunner, MeasureOptions, PreparedRun } from '../runner.js';
import type { Workload } from '../workloads.js';

/** The Python script shipped in the conformance package (the same path from src/ and dist/). */
export const PYTORCH_PEER_SCRIPT = fileURLToPath(new URL('../../../python/pytorch_peer.py', import.meta.url));

export interface PytorchInfo {
  python: string;
  torch: string;
  /** `torch.backends.mkldnn.is_available()`: PyTorch's CPU convolutions go through oneDNN. */
  mkldnn: boolean;
  cores: number;
}

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

/** The Python interpreters tried, in order: $HC_PYTHON, /usr/bin/python3, python3. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...new Set([env.HC_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p))];
}

/** A running `pytorch_peer.py`: requests in, replies matched by id. */
export class PytorchProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private exited: string | undefined;
  info!: PytorchInfo;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    let buffered = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) this.receive(line);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000);
    });
    const fail = (why: string) => {
      this.exited ??= why;
      for (const p of this.pending.values()) p.reject(new Error(this.exited));
      this.pending.clear();
    };
    child.on('error', (err) => fail(errorText(err)));
    child.on('exit', (code, signal) => fail(`the Python child exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : ''}`));
    this.idle();
  }

  private receive(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      return; // not ours (a library printing to stdout)
    }
    // id 0: the script could not import torch and exits; it answers whatever was asked first.
    const id = reply.id === 0 ? [...this.pending.keys()][0] : reply.id;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p) return;
    this.pending.delete(id!);
    if (!this.pending.size) this.idle();
    if (reply.ok) p.resolve(reply);
    else p.reject(new Error(reply.error ?? 'unknown error'));
  }

  /** No request in flight: the child must not keep Node alive. */
  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref?(): void }).unref?.();
    (this.child.stderr as unknown as { unref?(): void }).unref?.();
  }

  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref?(): void }).ref?.();
    (this.child.stderr as unknown as { ref?(): void }).ref?.();
  }

  call(type: string, fields: Record<string, unknown> = {}): Promise<Reply> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.busy();
      this.child.stdin.write(JSON.stringify({ id, type, ...fields }) + '\n');
    });
  }

  /**
   * Starts the script with the first candidate whose torch imports (`hello` answered within
   * `timeoutMs`); resolves to the process, or to the reason none could (every candidate's).
   */
  static async start(candidates = pythonCandidates(), script = PYTORCH_PEER_SCRIPT, timeoutMs = 120_000): Promise<PytorchProcess | string> {
    if (!existsSync(script)) return `the PyTorch peer script is missing (${script})`;
    const reasons: string[] = [];
    for (const python of candidates) {
      let proc: PytorchProcess | undefined;
      try {
        const child = spawn(python, ['-u', script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
        proc = new PytorchProcess(child);
        let timer: NodeJS.Timeout | undefined;
        const hello = await Promise.race([
          proc.call('hello'),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
        proc.info = { python, torch: String(hello.torch), mkldnn: hello.mkldnn === true, cores: Number(hello.cores) };
        return proc;
      } catch (err) {
        proc?.close();
        reasons.push(`${python}: ${errorText(err)}`);
      }
    }
    return `no Python with PyTorch (set HC_PYTHON, or install python3-torch): ${reasons.join('; ')}`;
  }

  close(): void {
    if (this.exited) return;
    this.exited = 'closed';
    this.child.stdin.end();
    this.child.kill();
  }
}

/**
 * The child shared by the run's `pytorch` runners (per list of interpreters): started by the first
 * `init`, stopped by the last `close`.
 */
const shared = new Map<string, { proc: Promise<PytorchProcess | string>; users: number }>();

function acquire(candidates: string[]): Promise<PytorchProcess | string> {
  const key = JSON.stringify(candidates);
  let entry = shared.get(key);
  if (!entry) shared.set(key, (entry = { proc: PytorchProcess.start(candidates), users: 0 }));
  entry.users++;
  return entry.proc;
}

async function release(candidates: string[]): Promise<void> {
  const key = JSON.stringify(candidates);
  const entry = shared.get(key);
  if (!entry || --entry.users > 0) return;
  shared.delete(key);
  const p = await entry.proc;
  if (typeof p !== 'string') p.close();
}

/** Float32 bytes in base64: how a test's inputs travel to Python (benchmark runs send none). */
function encodeInputs(inputs: BenchInputs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, a] of Object.entries(inputs)) out[name] = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString('base64');
  return out;
}

let sessions = 0;

export interface PytorchRunnerOptions {
  /** Send the benchmark's inputs instead of letting Python make same-shaped ones (tests: compare outputs). */
  sendInputs?: boolean;
  /** Interpreters to try (default `pythonCandidates()`). */
  python?: string[];
}

/** PyTorch CPU at `threads` intra-op threads. */
export function pytorchRunner(threads: number, options: PytorchRunnerOptions = {}): BenchRunner & { info(): PytorchInfo | undefined } {
  let proc: PytorchProcess | undefined;
  let acquired = false;
  const candidates = options.python ?? pythonCandidates();
  return {
    name: 'pytorch',
    threads,
    info: () => proc?.info,
    describe: () => (proc ? `PyTorch ${proc.info.torch} in ${proc.info.python}; oneDNN (mkldnn) ${proc.info.mkldnn ? 'available: its CPU convolutions use it' : 'not available'}` : undefined),
    async init() {
      acquired = true;
      const p = await acquire(candidates);
      if (typeof p === 'string') return p;
      proc = p;
      return undefined;
    },
    async prepare(workload: Workload, inputs: BenchInputs): Promise<PreparedRun | string> {
      const session = ++sessions;
      const { id, op, spec } = workload;
      let firstMs: number | undefined;
      try {
        const r = await proc!.call('prepare', { session, threads, workload: { id, op, spec }, ...(options.sendInputs ? { inputs: encodeInputs(inputs) } : {}) });
        if (typeof r.skip === 'string') return r.skip;
        if (typeof r.firstMs === 'number') firstMs = r.firstMs;
      } catch (err) {
        await proc!.call('dispose', { session }).catch(() => undefined);
        return `PyTorch failed to run it: ${errorText(err)}`;
      }
      const p = proc!;
      return {
        ...(firstMs !== undefined ? { firstMs } : {}),
        run: async () => Float32Array.from((await p.call('run', { session })).output as number[]),
        measure: async (o: MeasureOptions) => (await p.call('measure', { session, threads, options: o })).times as number[],
        dispose: async () => {
          await p.call('dispose', { session }).catch(() => undefined);
        },
      };
    },
    async close() {
      if (!acquired) return;
      acquired = false;
      proc = undefined;
      await release(candidates);
    },
  };
}
