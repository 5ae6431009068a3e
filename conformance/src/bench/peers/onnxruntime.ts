/**
 * ONNX Runtime peers: `onnxruntime-node` (native CPU execution provider, MLAS) at a given
 * intra-op thread count, and `onnxruntime-web` (its wasm build) running in Node.
 *
 * Each run is one `session.run()` on a one-node model; the outputs come back as JavaScript typed
 * arrays (readback included, like `await y.data()`), and are released after the run. The input is
 * copied into the runtime on each run (ONNX Runtime's JS API has no persistent device tensors on CPU).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BenchInputs, BenchRunner, MeasureOptions, PreparedRun } from '../runner.js';
import type { WorkerReply, WorkerRequest } from './ort-web-worker.js';
import { workloadModel } from '../onnx-model.js';
import type { Workload } from '../workloads.js';

/* Minimal structural types shared by onnxruntime-node and onnxruntime-web. */
export interface OrtTensor {
  data: unknown;
  dispose?(): void;
}
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
export interface OrtModule {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  env: { wasm?: { numThreads?: number; simd?: boolean }; logLevel?: string; versions?: Record<string, string> };
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

async function prepareOrt(ort: OrtModule, workload: Workload, inputs: BenchInputs, options: Record<string, unknown>): Promise<PreparedRun | string> {
  const model = workloadModel(workload, inputs);
  if (typeof model === 'string') return model;
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(model.bytes, options);
  } catch (err) {
    return `ONNX Runtime cannot load the model: ${errorText(err)}`;
  }
  const feeds: Record<string, OrtTensor> = {};
  for (const [name, a] of Object.entries(model.feeds)) feeds[name] = new ort.Tensor('float32', a.data, a.shape);
  const prepared: PreparedRun = {
    async run() {
      const out = await session.run(feeds);
      const y = out[model.output]!;
      const data = y.data as Float32Array; // already on the JS side: the readback
      for (const t of Object.values(out)) t.dispose?.();
      return data;
    },
    async dispose() {
      await session.release?.();
    },
  };
  try {
    await prepared.run();
  } catch (err) {
    await prepared.dispose();
    return `ONNX Runtime failed to run it: ${errorText(err)}`;
  }
  return prepared;
}

let nodeModule: Promise<OrtModule> | undefined;

/** onnxruntime-node with `intraOpNumThreads = threads` (one inter-op thread, sequential). */
export function onnxruntimeNodeRunner(threads: number): BenchRunner {
  let ort: OrtModule | undefined;
  return {
    name: 'onnxruntime-node',
    threads,
    async init() {
      try {
        nodeModule ??= import('onnxruntime-node').then((m) => ((m as { default?: OrtModule }).default ?? m) as unknown as OrtModule);
        ort = await nodeModule;
        return undefined;
      } catch (err) {
        return `onnxruntime-node is not installed or does not load: ${errorText(err)}`;
      }
    },
    prepare(workload, inputs) {
      return prepareOrt(ort!, workload, inputs, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        executionProviders: ['cpu'],
        logSeverityLevel: 3,
      });
    },
  };
}

let webModule: Promise<OrtModule> | undefined;
let webThreads: number | undefined;

/**
 * onnxruntime-web (wasm, SIMD) in Node. Its thread count is fixed when its wasm module first loads,
 * once per JavaScript realm: the first runner created uses this thread, runners with another
 * thread count each get a worker thread with their own instance (from the compiled build).
 */
export function onnxruntimeWebRunner(threads: number): BenchRunner {
  if (webThreads !== undefined && webThreads !== threads) return onnxruntimeWebWorkerRunner(threads);
  webThreads = threads;
  let ort: OrtModule | undefined;
  return {
    name: 'onnxruntime-web',
    threads,
    async init() {
      try {
        webModule ??= import('onnxruntime-web').then((m) => {
          const mod = ((m as { default?: OrtModule }).default ?? m) as unknown as OrtModule;
          mod.env.wasm!.numThreads = threads;
          mod.env.logLevel = 'error';
          return mod;
        });
        ort = await webModule;
        return undefined;
      } catch (err) {
        return `onnxruntime-web does not run in this Node: ${errorText(err)}`;
      }
    },
    prepare(workload, inputs) {
      return prepareOrt(ort!, workload, inputs, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 });
    },
  };
}

/** onnxruntime-web with its own thread count, in a worker thread that runs the timing loop. */
function onnxruntimeWebWorkerRunner(threads: number): BenchRunner {
  let worker: Worker | undefined;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const call = (msg: WorkerRequest): Promise<unknown> =>
    new Promise((resolve, reject) => {
      pending.set(msg.id, { resolve, reject });
      worker!.postMessage(msg);
    });
  // One request at a time per session: the session number doubles as the message id.
  let sessionIds = 0;
  return {
    name: 'onnxruntime-web',
    threads,
    async init() {
      const url = new URL('./ort-web-worker.js', import.meta.url);
      if (!existsSync(fileURLToPath(url))) {
        return `onnxruntime-web fixes its thread count (${webThreads}) once per realm; other counts run in a worker thread, which needs the compiled build (dist/)`;
      }
      try {
        worker = new Worker(url, { workerData: { threads } });
        worker.unref();
        worker.on('message', (reply: WorkerReply) => {
          const p = pending.get(reply.id);
          pending.delete(reply.id);
          if (reply.ok) p?.resolve(reply.value);
          else p?.reject(new Error(reply.error));
        });
        worker.on('error', (err) => {
          for (const p of pending.values()) p.reject(err);
          pending.clear();
        });
        return undefined;
      } catch (err) {
        return `onnxruntime-web worker thread did not start: ${errorText(err)}`;
      }
    },
    async prepare(workload, inputs) {
      const model = workloadModel(workload, inputs);
      if (typeof model === 'string') return model;
      const session = ++sessionIds;
      try {
        await call({ type: 'prepare', id: session, bytes: model.bytes, feeds: model.feeds, output: model.output });
      } catch (err) {
        await call({ type: 'dispose', id: session }).catch(() => undefined);
        return `ONNX Runtime failed to run it: ${errorText(err)}`;
      }
      return {
        run: () => call({ type: 'run', id: session }),
        measure: (options: MeasureOptions) => call({ type: 'measure', id: session, options }) as Promise<number[]>,
        dispose: async () => {
          await call({ type: 'dispose', id: session });
        },
      } satisfies PreparedRun;
    },
    async close() {
      await worker?.terminate();
    },
  };
}
