/**
 * The PyTorch peer of `bench`: the same LeNet-5, batches and optimiser in PyTorch (CPU), run by
 * `python/lenet_torch.py` in a child process at each requested thread count (`torch.set_num_threads`),
 * timed step by step inside Python. PyTorch's CPU convolutions go through oneDNN (mkldnn) when it was
 * built with it: the reply says whether it was.
 *
 * Python: `$HC_PYTHON`, then `/usr/bin/python3` (Debian's python3-torch), then `python3`; the first that
 * imports torch runs it, else the result is the reason (each interpreter's).
 */
import { spawn } from 'node:child_process';
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
  warmup: number;
  steps: number;
  threads: number[];
  lr: number;
  momentum: number;
  seed?: number;
  /** Interpreters to try (default `pythonCandidates()`). */
  python?: string[];
  script?: string;
}

export interface PytorchLenetRun {
  threads: number;
  /** Milliseconds of each timed step. */
  times: number[];
  /** Loss of every step, warm-up included. */
  losses: number[];
}

export interface PytorchLenetResult {
  python: string;
  torch: string;
  mkldnn: boolean;
  runs: PytorchLenetRun[];
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

function runScript(python: string, script: string, request: object): Promise<{ ok: boolean; error?: string; [k: string]: unknown }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-u', script], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line ?? ''));
      } catch {
        reject(new Error(`exited (${signal ?? `code ${code}`}) without a reply${err.trim() ? `: ${err.trim().split('\n').pop()}` : ''}`));
      }
    });
    child.stdin.end(JSON.stringify(request) + '\n');
  });
}

/** Trains LeNet-5 in PyTorch at each thread count; resolves to the timings or the reason it could not. */
export async function runPytorchLenet(o: PytorchLenetOptions): Promise<PytorchLenetResult | string> {
  const script = o.script ?? LENET_TORCH_SCRIPT;
  if (!existsSync(script)) return `the PyTorch script is missing (${script})`;
  const dir = mkdtempSync(join(tmpdir(), 'train-mnist-torch-'));
  try {
    const file = join(dir, 'batches.bin');
    writeFileSync(file, encodeBatches(o.batches, o.batchSize));
    const request = {
      batches: file, count: o.batches.length, batchSize: o.batchSize, warmup: o.warmup, steps: o.steps,
      threads: o.threads, lr: o.lr, momentum: o.momentum, seed: o.seed ?? 1,
    };
    const reasons: string[] = [];
    for (const python of o.python ?? pythonCandidates()) {
      try {
        const r = await runScript(python, script, request);
        if (r.ok) return { python, torch: String(r.torch), mkldnn: r.mkldnn === true, runs: r.runs as PytorchLenetRun[] };
        reasons.push(`${python}: ${r.error}`);
      } catch (err) {
        reasons.push(`${python}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    return `no Python with PyTorch (set HC_PYTHON, or install python3-torch): ${reasons.join('; ')}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
