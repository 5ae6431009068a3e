/**
 * TensorFlow.js peers: `tfjs-cpu` (@tensorflow/tfjs-backend-cpu, plain JavaScript, one thread),
 * `tfjs-wasm` (@tensorflow/tfjs-backend-wasm, XNNPACK + SIMD; binaries loaded from node_modules) and
 * `tfjs-webgpu` (@tensorflow/tfjs-backend-webgpu on the `webgpu` package's Dawn, the adapter
 * hypercolumn's webgpu backend gets: both take `navigator.gpu`'s default adapter).
 *
 * TensorFlow.js is channels-last: inputs are converted NCHW → NHWC (filters OIHW → HWIO) once, outside
 * the timing, as a TensorFlow.js model holds them; each run is the op plus `dataSync()` of its output
 * (webgpu: `await data()`, its only completion signal), then `dispose()`. The backends share TensorFlow.js's
 * one engine, so `prepare` selects the backend.
 */
import { createRequire, register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';
import { filterToHWIO, toChannelsLast, type BenchArray, type BenchInputs, type BenchRunner, type PreparedRun } from '../runner.js';
import type { Workload } from '../workloads.js';

type Tf = typeof TF;
let tfModule: Promise<Tf> | undefined;
let wasmReady: Promise<{ threads: number; simd: boolean }> | undefined;

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}

/** Runs `fn` with console.warn/log silenced (TensorFlow.js greets Node users on first use). */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const { warn, log } = console;
  console.warn = () => {};
  console.log = () => {};
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

async function loadTf(): Promise<Tf> {
  tfModule ??= import('@tensorflow/tfjs-core') as Promise<Tf>;
  return tfModule;
}

/** Which TensorFlow.js ops exist for a workload; the rest are skipped with the reason. */
function unsupported(w: Workload): string | undefined {
  const s = w.spec;
  if (s.type === 'norm') {
    if (s.pass === 'backward') return 'TensorFlow.js has no normalization backward kernel (only autodiff of a composition)';
    if (s.norm !== 'batchNorm') return `TensorFlow.js has no ${s.norm} op (only a composition of moments and arithmetic)`;
  }
  if (s.type === 'conv' && s.dims === 1 && s.pass !== 'forward') return 'conv1d backward is not in the workload list';
  return undefined;
}

let gradients: Promise<unknown> | undefined;

/**
 * Resolves the extensionless relative imports of tfjs-core's ESM files (written for bundlers) the way a
 * bundler does: `x` → `x.js`, else `x/index.js`. Only for failed resolutions from inside tfjs-core/dist.
 */
const TFJS_ESM_RESOLVE_HOOK = `export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const from = context.parentURL ?? '';
    if (!specifier.startsWith('.') || specifier.endsWith('.js') || !from.includes('/@tensorflow/tfjs-core/dist/')) throw err;
    try {
      return await next(specifier + '.js', context);
    } catch {
      return next(specifier + '/index.js', context);
    }
  }
}`;

/**
 * TensorFlow.js's own gradient functions (what the union package \`@tensorflow/tfjs\` registers): tfjs-core's
 * Node bundle has none, and they ship only as ESM files for bundlers. Under a bundler (vitest) they
 * import as they are; in plain Node a resolve hook does what the bundler would. The gradient registry
 * and engine are tfjs globals, so the second copy of tfjs-core these files load shares them.
 */
function registerGradients(): Promise<unknown> {
  const specifier = '@tensorflow/tfjs-core/dist/register_all_gradients.js';
  gradients ??= import(specifier).catch(async () => {
    register(`data:text/javascript,${encodeURIComponent(TFJS_ESM_RESOLVE_HOOK)}`);
    // a new URL: the failed first load stays cached under the plain one
    return import(`${import.meta.resolve(specifier)}?resolved-by-hook`);
  });
  return gradients;
}

/**
 * One SGD step (lr 0.05, momentum 0.9) of LeNet-5 in TensorFlow.js, NHWC: `optimizer.minimize`, which
 * returns the loss. Its variables and optimizer go into `made` / are released with it.
 */
function lenetStep(tf: Tf, batch: number, x: TF.Tensor4D, labels: Float32Array, made: { dispose(): void }[]): () => TF.Tensor {
  const v = (shape: number[], fanIn: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    const t = tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', 1));
    made.push(t);
    return t;
  };
  const [w1, b1, w2, b2] = [v([5, 5, 1, 6], 25), v([6], 25), v([5, 5, 6, 16], 150), v([16], 150)];
  const [w3, b3, w4, b4, w5, b5] = [v([400, 120], 400), v([120], 400), v([120, 84], 120), v([84], 120), v([84, 10], 84), v([10], 84)];
  const onehot = tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), 10);
  const optimizer = tf.train.momentum(0.05, 0.9);
  made.push(onehot, optimizer);
  return () =>
    optimizer.minimize(() => {
      let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1 as TF.Tensor4D, 1, 2), b1)), 2, 2, 'valid') as TF.Tensor4D;
      h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, w2 as TF.Tensor4D, 1, 'valid'), b2)), 2, 2, 'valid') as TF.Tensor4D;
      const f = tf.reshape(h, [batch, 400]) as TF.Tensor2D;
      const d = tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(f, w3 as TF.Tensor2D), b3)), w4 as TF.Tensor2D), b4));
      return tf.losses.softmaxCrossEntropy(onehot, tf.add(tf.matMul(d, w5 as TF.Tensor2D), b5)) as TF.Scalar;
    }, true)!;
}

function prepareTf(tf: Tf, w: Workload, inputs: BenchInputs, readAsync: boolean): PreparedRun | string {
  const why = unsupported(w);
  if (why) return why;
  const made: TF.Tensor[] = [];
  const t = (a: BenchArray) => {
    const x = tf.tensor(a.data, a.shape, 'float32');
    made.push(x);
    return x;
  };
  const nhwc = (name: string) => t(toChannelsLast(inputs[name]!));
  const s = w.spec;
  let op: () => TF.Tensor;
  try {
    switch (s.type) {
      case 'conv': {
        const pad = s.pad;
        if (s.dims === 1) {
          // tf.conv1d pads its dummy height axis too when given a number; it is conv2d on [N, 1, L, C]
          // underneath, so that is what runs here, with the padding on the length axis only.
          const [n, c, l] = s.x as [number, number, number];
          const [o, ci, k] = s.w as [number, number, number];
          const x = tf.reshape(nhwc('x'), [n, 1, l, c]) as TF.Tensor4D;
          const f = tf.reshape(t(filterToHWIO(inputs.w!)), [1, k, ci, o]) as TF.Tensor4D;
          made.push(x, f);
          op = () => tf.conv2d(x, f, [1, s.stride], [[0, 0], [0, 0], [pad, pad], [0, 0]]);
        } else if (s.pass === 'forward') {
          const x = nhwc('x') as TF.Tensor4D;
          const f = t(filterToHWIO(inputs.w!)) as TF.Tensor4D;
          op = () => tf.conv2d(x, f, s.stride, pad);
        } else if (s.pass === 'backpropInput') {
          const dy = nhwc('dy') as TF.Tensor4D;
          const f = t(filterToHWIO(inputs.w!)) as TF.Tensor4D;
          const [n, c, h, wd] = s.x as [number, number, number, number];
          op = () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { strides: s.stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape: [n, h, wd, c] } as never) as TF.Tensor;
        } else {
          const x = nhwc('x') as TF.Tensor4D;
          const dy = nhwc('dy') as TF.Tensor4D;
          const [o, ci, kh, kw] = s.w as [number, number, number, number];
          op = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: s.stride, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [kh, kw, ci, o] } as never) as TF.Tensor;
        }
        break;
      }
      case 'maxPool2d':
      case 'avgPool2d': {
        const x = nhwc('x') as TF.Tensor4D;
        const pool = s.type === 'maxPool2d' ? tf.maxPool : tf.avgPool;
        op = () => pool(x, s.kernel, s.stride, s.pad);
        break;
      }
      case 'globalAvgPool': {
        const x = nhwc('x');
        op = () => tf.mean(x, [1, 2], true);
        break;
      }
      case 'train':
        op = lenetStep(tf, s.batch, nhwc('x') as TF.Tensor4D, inputs.labels!.data, made);
        break;
      case 'norm': {
        const x = nhwc('x') as TF.Tensor4D;
        const [mean, variance, offset, scale] = ['mean', 'variance', 'offset', 'scale'].map((n) => t(inputs[n]!) as TF.Tensor1D);
        op = () => tf.batchNorm(x, mean!, variance!, offset, scale, 1e-5);
        break;
      }
    }
  } catch (err) {
    for (const x of made) x.dispose();
    throw err;
  }
  return {
    run: readAsync
      ? async () => {
          const y = op();
          try {
            return await y.data(); // channels-last (filters HWIO)
          } finally {
            y.dispose();
          }
        }
      : () => {
          const y = op();
          const data = y.dataSync();
          y.dispose();
          return data; // channels-last (filters HWIO)
        },
    dispose() {
      for (const x of made) x.dispose();
    },
  };
}

function tfRunner(name: 'tfjs-cpu' | 'tfjs-wasm' | 'tfjs-webgpu', backend: 'cpu' | 'wasm' | 'webgpu', threads: number, start: (tf: Tf) => Promise<string | undefined>): BenchRunner {
  let tf: Tf | undefined;
  return {
    name,
    threads,
    async init() {
      try {
        tf = await loadTf();
        return await quietly(() => start(tf!));
      } catch (err) {
        return `${name} does not load: ${errorText(err)}`;
      }
    },
    async prepare(w, inputs) {
      await quietly(() => tf!.setBackend(backend));
      if (w.spec.type === 'train') await registerGradients();
      let prepared: PreparedRun | string;
      try {
        prepared = prepareTf(tf!, w, inputs, backend === 'webgpu');
      } catch (err) {
        return `TensorFlow.js ${backend} cannot set it up: ${errorText(err)}`;
      }
      if (typeof prepared === 'string') return prepared;
      try {
        const t0 = performance.now();
        await prepared.run();
        prepared.firstMs = performance.now() - t0;
        return prepared;
      } catch (err) {
        prepared.dispose();
        return `TensorFlow.js ${backend} cannot run it: ${errorText(err)}`;
      }
    },
  };
}

/** TensorFlow.js cpu backend (single-threaded JavaScript). */
export function tfjsCpuRunner(): BenchRunner {
  return tfRunner('tfjs-cpu', 'cpu', 1, async (tf) => {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) return 'the TensorFlow.js cpu backend did not start';
    tf.tensor([0]).dispose(); // its first write prints a "use tfjs-node" banner: here, silenced
    return undefined;
  });
}

/**
 * TensorFlow.js wasm backend with the binaries from node_modules. Multi-threading needs
 * SharedArrayBuffer + workers, which it does not use in Node: a request for more than one thread
 * is reported as skipped with the reason.
 */
export function tfjsWasmRunner(threads: number): BenchRunner {
  return tfRunner('tfjs-wasm', 'wasm', threads, async (tf) => {
    wasmReady ??= (async () => {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      wasm.setWasmPaths(path.join(dir, 'dist') + path.sep);
      wasm.setThreadsCount(threads);
      if (!(await tf.setBackend('wasm'))) throw new Error('the TensorFlow.js wasm backend did not start');
      return { threads: wasm.getThreadsCount(), simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean };
    })();
    const got = await wasmReady;
    if (got.threads !== threads) {
      return `TensorFlow.js wasm runs ${got.threads} thread(s) here (multi-threading needs SharedArrayBuffer workers, unavailable to it in Node)`;
    }
    return undefined;
  });
}

let webgpuReady: Promise<string | undefined> | undefined;

/**
 * TensorFlow.js webgpu backend in Node: Dawn from the `webgpu` package installed as `navigator.gpu`
 * (unless one exists already) with its WebGPU globals, as in a browser. Skipped with the reason where
 * there is no adapter (Node needs a Vulkan driver: see backend-webgpu's scripts/setup-vulkan.sh).
 */
export function tfjsWebgpuRunner(threads = os.availableParallelism()): BenchRunner {
  // `threads` only pairs it with hypercolumn's webgpu runner, which counts as running at all cores.
  return tfRunner('tfjs-webgpu', 'webgpu', threads, async (tf) => {
    webgpuReady ??= (async () => {
      const g = globalThis as { navigator?: { gpu?: unknown } };
      if (!g.navigator?.gpu) {
        const specifier = 'webgpu';
        const dawn = (await import(specifier)) as { create(flags: string[]): unknown; globals: object };
        Object.assign(globalThis, dawn.globals);
        Object.defineProperty(globalThis, 'navigator', { value: { ...(g.navigator ?? {}), gpu: dawn.create([]) }, configurable: true, writable: true });
      }
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!(await tf.setBackend('webgpu'))) return 'the TensorFlow.js webgpu backend did not start (no WebGPU adapter?)';
      return undefined;
    })().catch((err: unknown) => `tfjs-webgpu does not load: ${errorText(err)}`);
    return webgpuReady;
  });
}
