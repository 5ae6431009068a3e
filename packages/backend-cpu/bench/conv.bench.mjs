// Conv benchmark: hypercolumn cpu kernels vs TensorFlow.js cpu, same process, 1 thread each.
//   node packages/backend-cpu/bench/conv.bench.mjs        (from the repo root or anywhere)
// The TypeScript sources are transpiled on the fly (typescript.transpileModule) into a temp folder,
// so no build of the package (or of the other kernels) is needed.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadTfjsCpu } from './tfjs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const require = createRequire(join(root, 'package.json'));
const ts = require('typescript');

const out = join(tmpdir(), `hc-cpu-bench-${process.pid}`);
const files = ['rowconv.ts', 'gemm.ts', 'im2col.ts', 'winograd.ts', 'direct.ts', 'kernels/conv2d.ts', 'kernels/conv2d_backprop_input.ts', 'kernels/conv2d_backprop_filter.ts'];
// HC_SRC=<folder> benchmarks another copy of src/ (e.g. `git archive HEAD` of it, for before/after)
const srcDir = process.env.HC_SRC ? resolve(process.env.HC_SRC) : join(pkg, 'src');
for (const f of files) {
  if (!existsSync(join(srcDir, f))) continue;
  const src = readFileSync(join(srcDir, f), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
  const dst = join(out, f.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(dst), { recursive: true });
  writeFileSync(dst, js);
}
const load = async (f) => import(pathToFileURL(join(out, f)).href);
const { conv2d } = await load('kernels/conv2d.js');
const { conv2dBackpropInput } = await load('kernels/conv2d_backprop_input.js');
const { conv2dBackpropFilter } = await load('kernels/conv2d_backprop_filter.js');
rmSync(out, { recursive: true, force: true });

const tf = await loadTfjsCpu(root);

function geometry(N, C, H, W, O, k, s, p, G = 1) {
  const OH = Math.floor((H + 2 * p - k) / s) + 1, OW = Math.floor((W + 2 * p - k) / s) + 1;
  return {
    batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: O, kernelHeight: k, kernelWidth: k,
    strideHeight: s, strideWidth: s, dilationHeight: 1, dilationWidth: 1, padTop: p, padBottom: p, padLeft: p, padRight: p,
    groups: G, outHeight: OH, outWidth: OW, xShape: [N, C, H, W], wShape: [O, C / G, k, k], yShape: [N, O, OH, OW],
  };
}
const rand = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1; return a; };
function median(fn, runs, warmup = 2) {
  for (let i = 0; i < warmup; i++) fn();
  const ts = [];
  for (let i = 0; i < runs; i++) { const t = performance.now(); fn(); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(runs / 2)];
}

// name, N, C, H, W, O, k, stride, pad, groups.  WORKLOADS=E,L2 runs a subset.
const workloads = [
  ['A', 1, 64, 56, 56, 64, 3, 1, 1, 1],
  ['E', 64, 1, 28, 28, 6, 5, 1, 2, 1],
  ['L2', 64, 6, 14, 14, 16, 5, 1, 0, 1], // LeNet's second conv
  ['DW', 8, 64, 56, 56, 64, 3, 1, 1, 64], // depthwise 3×3
  ['DW2', 8, 32, 56, 56, 64, 3, 1, 1, 32], // depthwise, channel multiplier 2
].filter((w) => !process.env.WORKLOADS || process.env.WORKLOADS.split(',').includes(w[0]));
const runs = Number(process.env.RUNS ?? 10);
const rows = [];
for (const [name, N, C, H, W, O, k, s, p, G] of workloads) {
  const g = geometry(N, C, H, W, O, k, s, p, G);
  const flops = 2 * N * O * g.outHeight * g.outWidth * (C / G) * k * k;
  const x = rand(N * C * H * W), w = rand(O * (C / G) * k * k), b = rand(O), dy = rand(N * O * g.outHeight * g.outWidth);
  const X = { data: x, shape: g.xShape }, Wt = { data: w, shape: g.wShape }, B = { data: b, shape: [O] }, DY = { data: dy, shape: g.yShape };
  const ours = {
    forward: median(() => conv2d({ x: X, w: Wt, b: B }, { geometry: g }), runs),
    backpropInput: median(() => conv2dBackpropInput({ dy: DY, w: Wt }, { geometry: g }), runs),
    backpropFilter: median(() => conv2dBackpropFilter({ x: X, dy: DY }, { geometry: g }), runs),
  };
  let theirs = null;
  if (tf) {
    // tfjs works in NHWC / HWIO, its native layout
    const tx = tf.tensor4d(rand(N * H * W * C), [N, H, W, C]);
    const tw = tf.tensor4d(rand(k * k * C * O), [k, k, C, O]);
    const tb = tf.tensor1d(b);
    const tdy = tf.tensor4d(rand(N * g.outHeight * g.outWidth * O), [N, g.outHeight, g.outWidth, O]);
    const pad = [[0, 0], [p, p], [p, p], [0, 0]];
    const run = (f) => () => { const r = f(); r.dataSync(); r.dispose(); };
    if (G === 1) {
      theirs = {
        forward: median(run(() => tf.add(tf.conv2d(tx, tw, s, pad), tb)), runs),
        backpropInput: median(run(() => tf.engine().runKernel('Conv2DBackpropInput', { dy: tdy, filter: tw },
          { inputShape: [N, H, W, C], strides: s, pad, dataFormat: 'NHWC', dimRoundingMode: undefined })), runs),
        backpropFilter: median(run(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: tx, dy: tdy },
          { strides: s, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [k, k, C, O] })),
          // tfjs-cpu's filter gradient is very slow (tens of seconds on conv A): fewer runs there
          Math.min(runs, Number(process.env.TFJS_FILTER_RUNS ?? 3)), 1),
      };
    } else {
      // depthwise (G = C): tfjs filter [k, k, C, multiplier]
      const M = O / C;
      const tdw = tf.tensor4d(rand(k * k * C * M), [k, k, C, M]);
      const attrs = { strides: [s, s], pad: p, dilations: [1, 1], dimRoundingMode: undefined };
      theirs = {
        forward: median(run(() => tf.add(tf.depthwiseConv2d(tx, tdw, s, p), tb)), runs),
        backpropInput: median(run(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tdy, filter: tdw },
          { ...attrs, inputShape: [N, H, W, C] })), runs),
        backpropFilter: median(run(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tx, dy: tdy },
          { ...attrs, filterShape: [k, k, C, M] })), runs),
      };
    }
  }
  for (const pass of ['forward', 'backpropInput', 'backpropFilter']) {
    const gf = flops / ours[pass] / 1e6;
    const row = { workload: `conv ${name} ${pass}`, ms: +ours[pass].toFixed(2), 'GFLOP/s': +gf.toFixed(2) };
    if (theirs) {
      row['tfjs-cpu ms'] = +theirs[pass].toFixed(2);
      row['tfjs GFLOP/s'] = +(flops / theirs[pass] / 1e6).toFixed(2);
      row['speedup'] = +(theirs[pass] / ours[pass]).toFixed(1);
    }
    rows.push(row);
  }
}
console.log(`median of ${runs} runs after warm-up (tfjs backpropFilter: ${Math.min(runs, Number(process.env.TFJS_FILTER_RUNS ?? 3))}), 1 thread, nominal direct-convolution FLOPs`);
console.table(rows);
