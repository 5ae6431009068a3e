/**
 * A worker thread holding its own onnxruntime-web instance: onnxruntime-web fixes its thread count
 * once per JavaScript realm, so every extra thread count the benchmark asks for runs in a worker.
 * The timing loop runs inside the worker (no message round trip in the timed region).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { measure, type MeasureOptions } from '../runner.js';
import type { OrtModule as OrtWeb, OrtSession, OrtTensor } from './onnxruntime.js';

export type WorkerRequest =
  | { type: 'prepare'; id: number; bytes: Uint8Array; feeds: Record<string, { data: Float32Array; shape: number[] }>; output: string }
  | { type: 'run'; id: number }
  | { type: 'measure'; id: number; options: MeasureOptions }
  | { type: 'dispose'; id: number };

export type WorkerReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };

const port = parentPort!;
const threads = (workerData as { threads: number }).threads;
const ortReady = import('onnxruntime-web').then((m) => {
  const ort = ((m as { default?: OrtWeb }).default ?? m) as unknown as OrtWeb;
  ort.env.wasm!.numThreads = threads; // onnxruntime-web always has its wasm env
  ort.env.logLevel = 'error';
  return ort;
});
const sessions = new Map<number, { session: OrtSession; feeds: Record<string, OrtTensor>; output: string }>();

async function runOnce(id: number): Promise<Float32Array> {
  const s = sessions.get(id)!;
  const out = await s.session.run(s.feeds);
  const data = out[s.output]!.data as Float32Array;
  for (const t of Object.values(out)) t.dispose?.();
  return data;
}

async function handle(msg: WorkerRequest): Promise<unknown> {
  switch (msg.type) {
    case 'prepare': {
      const ort = await ortReady;
      const session = await ort.InferenceSession.create(msg.bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
      const feeds: Record<string, OrtTensor> = {};
      for (const [name, a] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor('float32', a.data, a.shape);
      sessions.set(msg.id, { session, feeds, output: msg.output });
      await runOnce(msg.id);
      return undefined;
    }
    case 'run':
      return runOnce(msg.id);
    case 'measure':
      return measure({ run: () => runOnce(msg.id), dispose() {} }, msg.options);
    case 'dispose': {
      await sessions.get(msg.id)?.session.release?.();
      sessions.delete(msg.id);
      return undefined;
    }
  }
}

port.on('message', (msg: WorkerRequest) => {
  handle(msg).then(
    (value) => port.postMessage({ id: msg.id, ok: true, value } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ id: msg.id, ok: false, error: (err instanceof Error ? err.message : String(err)).split('\n')[0] } satisfies WorkerReply),
  );
});
