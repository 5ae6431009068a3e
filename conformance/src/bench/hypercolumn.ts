/**
 * The hypercolumn runners (`hypercolumn:<backend>`): each workload is the backend's kernel run
 * through `runKernel` (the public ops add only core's argument checks on top), then `await y.borrow()`
 * of every output that matters (the readback: host-visible backends lend their storage until the
 * dispose, as PyTorch's `.numpy()` does until the array is dropped; wasm copies into recycled memory,
 * WebGPU copies). The outputs
 * are disposed at the start of the next run (or by `dispose`), so the values a run returns stay valid
 * for tests to compare. A `data({copy: false})` view would keep native's block from reuse until
 * V8 collects the array (the loop would write each result into cold memory, and PyTorch's reference
 * counting frees at once).
 *
 * conv1d runs the conv2d kernel with H = 1, as core does. Backward workloads time the backward kernel
 * alone: the statistics a norm's backward needs come from its forward kernel, run once untimed.
 * A backend that lacks a workload's kernel would time the cpu fallback instead, so that is `skipped`.
 */
import os from 'node:os';
import * as hc from '@hypercolumn/core';
import type { BenchArray, BenchInputs, BenchRunner, PreparedRun } from './runner.js';
import type { TrainSpec, Workload } from './workloads.js';

const EPS = 1e-5;

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

/**
 * Threads a backend uses: its own `threads` field when it reports one, else 1 for cpu and all cores
 * otherwise (the DESIGN default). `name` may be a variant ("cpu@2t": its base backend counts).
 */
export function backendThreads(name: string, backend: unknown): number {
  const own = (backend as { threads?: unknown } | undefined)?.threads;
  if (typeof own === 'number' && own > 0) return own;
  return name.split('@')[0] === 'cpu' ? 1 : typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * The backend's own peak probe, duck-typed: `peakGflops(): Promise<number>` (native and wasm measure
 * their FMA / SIMD ceiling at their threads). Absent, failing or not a positive number: undefined.
 */
export async function backendPeakGflops(backend: unknown): Promise<number | undefined> {
  const probe = (backend as { peakGflops?: unknown } | undefined)?.peakGflops;
  if (typeof probe !== 'function') return undefined;
  try {
    const peak: unknown = await (probe as () => unknown).call(backend);
    return typeof peak === 'number' && Number.isFinite(peak) && peak > 0 ? peak : undefined;
  } catch {
    return undefined;
  }
}

/** A backend registered by the runner itself, at a thread count (`cpu@1t` from `createCpuBackend({threads: 1})`). */
export interface ThreadVariant {
  create: () => hc.Backend | Promise<hc.Backend>;
  threads: number;
}

/** One kernel call, over the handles a runner makes: tensors here, a backend's raw buffers in its own bench. */
export interface KernelCall<T> {
  kernel: hc.KernelName;
  inputs: Record<string, T | undefined>;
  attrs: unknown;
  /** How many leading outputs are read back. */
  read: number;
}

/**
 * The kernel call that times workload `w`, on the inputs `t` makes. A norm's backward pass gives the
 * forward call whose statistics its kernel needs, with `backward` naming that kernel: the caller runs
 * the forward once, untimed, and builds the backward call from its outputs.
 */
export function workloadCall<T>(w: Workload, t: (name: string, shape?: number[]) => T): (KernelCall<T> & { backward?: hc.KernelName }) | undefined {
  const s = w.spec;
  switch (s.type) {
    case 'conv': {
      const [x4, w4] = s.dims === 1 ? [[s.x[0]!, s.x[1]!, 1, s.x[2]!], [s.w[0]!, s.w[1]!, 1, s.w[2]!]] : [s.x, s.w];
      const geometry = hc.conv2dGeometry(w.op, x4, w4, {
        stride: s.dims === 1 ? [1, s.stride] : s.stride,
        padding: s.dims === 1 ? [0, s.pad] : s.pad,
        groups: s.groups,
      });
      if (s.pass === 'forward') return { kernel: 'conv2d', inputs: { x: t('x', x4), w: t('w', w4) }, attrs: { geometry }, read: 1 };
      if (s.pass === 'backpropInput') return { kernel: 'conv2dBackpropInput', inputs: { dy: t('dy', geometry.yShape), w: t('w', w4) }, attrs: { geometry }, read: 1 };
      return { kernel: 'conv2dBackpropFilter', inputs: { x: t('x', x4), dy: t('dy', geometry.yShape) }, attrs: { geometry }, read: 1 };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const geometry = hc.pool2dGeometry(s.type, s.x, { kernelSize: s.kernel, stride: s.stride, padding: s.pad });
      const attrs = s.type === 'avgPool2d' ? { geometry, countIncludePad: true } : { geometry };
      return { kernel: s.type, inputs: { x: t('x') }, attrs, read: 1 };
    }
    case 'globalAvgPool':
      return { kernel: 'globalAvgPool', inputs: { x: t('x') }, attrs: {}, read: 1 };
    case 'norm': {
      const [, c, h, wd] = s.x;
      const x = t('x');
      const backward = s.pass === 'backward' ? { backward: s.norm === 'batchNorm' ? 'batchNormBackward' : s.norm === 'layerNorm' ? 'layerNormBackward' : 'groupNormBackward' } as const : {};
      if (s.norm === 'batchNorm') {
        if (s.pass === 'forward') {
          return { kernel: 'batchNormInference', inputs: { x, mean: t('mean'), variance: t('variance'), scale: t('scale'), offset: t('offset') }, attrs: { eps: EPS }, read: 1 };
        }
        return { kernel: 'batchNormTraining', inputs: { x, scale: t('scale'), offset: t('offset') }, attrs: { eps: EPS }, read: 1, ...backward };
      }
      if (s.norm === 'layerNorm') return { kernel: 'layerNorm', inputs: { x, weight: t('weight'), bias: t('bias') }, attrs: { rowSize: c * h * wd, eps: EPS }, read: 1, ...backward };
      const numGroups = s.norm === 'instanceNorm' ? c : s.groups!;
      return { kernel: 'groupNorm', inputs: { x, weight: t('weight'), bias: t('bias') }, attrs: { numGroups, eps: EPS }, read: 1, ...backward };
    }
  }
  return undefined;
}

/** `workloadCall` on tensors, with a norm's statistics computed by one untimed forward run. */
function plan(w: Workload, t: (name: string, shape?: number[]) => hc.Tensor): KernelCall<hc.Tensor> | undefined {
  const call = workloadCall(w, t);
  if (!call?.backward) return call;
  const outs = hc.runKernel(call.kernel, call.inputs, call.attrs as never);
  outs[0]!.dispose();
  const [mean, variance] = [outs[1]!, outs[2]!];
  const { x, scale, weight } = call.inputs;
  const affine = scale ? { scale } : { weight };
  return { kernel: call.backward, inputs: { dy: t('dy'), x, mean, variance, ...affine }, attrs: call.attrs, read: 3 };
}

/**
 * LeNet-5 trained one step per run through the public API (nn modules, autograd, SGD), on the current
 * backend: forward, cross-entropy, backward, update, then the loss read back. Kernels a backend lacks
 * would run on cpu here (this is the whole-model figure, not a kernel's).
 */
function prepareTraining(spec: TrainSpec, inputs: BenchInputs): PreparedRun {
  const nn = hc.nn;
  hc.manualSeed(1);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
    new nn.Linear(400, 120), new nn.ReLU(), new nn.Linear(120, 84), new nn.ReLU(), new nn.Linear(84, 10),
  );
  model.train();
  const optimizer = new hc.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const x = hc.tensor(inputs.x!.data, [spec.batch, 1, 28, 28]);
  const labels = Int32Array.from(inputs.labels!.data);
  return {
    async run() {
      const loss = hc.scope(() => {
        const l = hc.crossEntropy(model.forward(x), labels);
        l.backward();
        optimizer.step();
        optimizer.zeroGrad();
        return l;
      });
      try {
        return await loss.data();
      } finally {
        loss.dispose();
      }
    },
    dispose() {
      x.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}

/**
 * A runner for hypercolumn backend `backend`: one registered by importing its package, or, with
 * `variant`, one this runner registers under that name for the run (removed again by `close`).
 */
export function hypercolumnRunner(backend: string, variant?: ThreadVariant): BenchRunner {
  let kernels: string[] = [];
  let threads = variant?.threads ?? backendThreads(backend, undefined);
  let peak: number | undefined;
  return {
    name: `hypercolumn:${backend}`,
    get threads() {
      return threads;
    },
    get peakGflops() {
      return peak;
    },
    async init() {
      if (variant) hc.registerBackend(backend, variant.create, -1);
      const info = (await hc.listBackends()).find((b) => b.name === backend);
      if (!info) return `backend "${backend}" is not registered (its package is not installed)`;
      if (!info.available) return `backend "${backend}" is not available: ${info.reason ?? 'unknown reason'}`;
      kernels = info.kernels;
      await hc.setBackend(backend);
      const probe = hc.tensor(new Float32Array(1), [1]);
      threads = backendThreads(backend, probe.storage.backend);
      const own = probe.storage.backend;
      probe.dispose();
      peak = await backendPeakGflops(own);
      if (variant && threads !== variant.threads) return `asked for ${variant.threads} threads, the backend runs ${threads}`;
      return undefined;
    },
    async close() {
      if (variant) hc.removeBackend(backend);
    },
    async prepare(w, inputs) {
      await hc.setBackend(backend);
      if (w.spec.type === 'train') {
        let training: PreparedRun | undefined;
        try {
          training = prepareTraining(w.spec, inputs);
          const t0 = performance.now();
          await training.run();
          training.firstMs = performance.now() - t0;
          return training;
        } catch (err) {
          await training?.dispose();
          return `failed: ${errorText(err)}`;
        }
      }
      const made: hc.Tensor[] = [];
      const t = (name: string, shape?: number[]) => {
        const a: BenchArray = inputs[name]!;
        const x = hc.tensor(a.data, shape ?? a.shape);
        made.push(x);
        return x;
      };
      const disposeAll = () => {
        for (const x of made) x.dispose();
      };
      let call: KernelCall<hc.Tensor> | undefined;
      try {
        call = plan(w, t);
        if (call) for (const v of Object.values(call.inputs)) if (v && !made.includes(v)) made.push(v);
      } catch (err) {
        disposeAll();
        return `cannot set it up: ${errorText(err)}`;
      }
      if (!call) {
        disposeAll();
        return 'no such workload';
      }
      if (!kernels.includes(call.kernel)) {
        disposeAll();
        return `no ${call.kernel} kernel on "${backend}" (it would fall back to cpu)`;
      }
      const c = call;
      // the last run's outputs: the values it returned are borrowed from them
      let last: hc.Tensor[] = [];
      const disposeLast = () => {
        for (const o of last) o.dispose();
        last = [];
      };
      const prepared: PreparedRun = {
        async run() {
          disposeLast();
          last = hc.runKernel(c.kernel, c.inputs, c.attrs as never);
          let first: Float32Array | undefined;
          try {
            for (let i = 0; i < c.read; i++) {
              const data = await last[i]!.borrow();
              first ??= data;
            }
          } catch (err) {
            disposeLast();
            throw err;
          }
          return first;
        },
        dispose() {
          disposeLast();
          disposeAll();
        },
      };
      try {
        const t0 = performance.now();
        await prepared.run();
        prepared.firstMs = performance.now() - t0;
      } catch (err) {
        prepared.dispose();
        return `failed: ${errorText(err)}`;
      }
      return prepared;
    },
  };
}
