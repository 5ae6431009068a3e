// Memory-bound kernel benchmark: pools, global average pool, norms (forward and backward), against
// TensorFlow.js cpu in the same process, 1 thread, DESIGN §4's workloads.
//   node packages/backend-cpu/bench/memory.bench.mjs            (from the repo root or anywhere)
//   HC_BEFORE=<folder with a src/ copy> also times that copy, interleaved with the current one
//     (e.g. `git archive HEAD packages/backend-cpu/src | tar -x -C /tmp/before`,
//      HC_BEFORE=/tmp/before/packages/backend-cpu/src)
//   WORKLOADS=maxPool2x2,bn  runs a subset; RUNS=20 sets the timed runs (median reported).
// The TypeScript sources are transpiled on the fly (typescript.transpileModule) into a temp folder.
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadTfjsCpu } from './tfjs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const root = resolve(pkg, '../..');
const require = createRequire(join(root, 'package.json'));
const ts = require('typescript');

async function loadKernels(srcDir, tag) {
  const out = join(tmpdir(), `hc-mem-bench-${process.pid}-${tag}`);
  for (const sub of ['.', 'util', 'kernels']) {
    for (const f of readdirSync(join(srcDir, sub))) {
      if (!f.endsWith('.ts')) continue;
      const src = readFileSync(join(srcDir, sub, f), 'utf8');
      const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
      const dst = join(out, sub, f.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(dst), { recursive: true });
      writeFileSync(dst, js);
    }
  }
  const k = {};
  const names = ['max_pool2d', 'max_pool2d_backward', 'avg_pool2d', 'avg_pool2d_backward', 'global_avg_pool', 'batch_norm_inference',
    'batch_norm_training', 'batch_norm_backward', 'layer_norm', 'layer_norm_backward', 'group_norm', 'group_norm_backward'];
  for (const f of names) Object.assign(k, await import(pathToFileURL(join(out, 'kernels', `${f}.js`)).href));
  rmSync(out, { recursive: true, force: true });
  return k;
}

const versions = [['after', await loadKernels(join(pkg, 'src'), 'after')]];
if (process.env.HC_BEFORE) versions.unshift(['before', await loadKernels(resolve(process.env.HC_BEFORE), 'before')]);

const tf = await loadTfjsCpu(root);

let seed = 1234;
const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 4294967296; };
const rand = (n, lo = -1, hi = 1) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rnd(); return a; };
const T = (data, shape) => ({ data, shape });
const prod = (s) => s.reduce((a, b) => a * b, 1);

function poolGeometry(x, k, s, p) {
  const [N, C, H, W] = x;
  const OH = Math.floor((H + 2 * p - k) / s) + 1, OW = Math.floor((W + 2 * p - k) / s) + 1;
  return {
    batch: N, channels: C, inHeight: H, inWidth: W, outHeight: OH, outWidth: OW,
    kernelHeight: k, kernelWidth: k, strideHeight: s, strideWidth: s, dilationHeight: 1, dilationWidth: 1,
    padTop: p, padBottom: p, padLeft: p, padRight: p, xShape: x.slice(), yShape: [N, C, OH, OW],
  };
}

const NX = [8, 64, 56, 56], PX = [8, 64, 112, 112];
const EPS = 1e-5;
// id → { bytes, ours(k) → thunk, tfjs() → thunk | null }
function workloads() {
  const list = [];
  const pool = (id, type, k, s, p) => {
    const g = poolGeometry(PX, k, s, p);
    const x = T(rand(prod(PX)), PX);
    const dy = T(rand(prod(g.yShape)), g.yShape);
    list.push({
      id, bytes: 4 * (prod(PX) + prod(g.yShape)),
      ours: (K) => type === 'max' ? () => K.maxPool2d({ x }, { geometry: g }) : () => K.avgPool2d({ x }, { geometry: g, countIncludePad: true }),
      tfjs: () => {
        const tx = tf.tensor4d(rand(prod(PX)), [PX[0], PX[2], PX[3], PX[1]]);
        const f = type === 'max' ? tf.maxPool : tf.avgPool;
        return () => f(tx, k, s, p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]]);
      },
    });
    list.push({
      id: `${id} ∂x`, bytes: 4 * (2 * prod(PX) + prod(g.yShape)),
      ours: (K) => type === 'max' ? () => K.maxPool2dBackward({ dy, x }, { geometry: g }) : () => K.avgPool2dBackward({ dy }, { geometry: g, countIncludePad: true }),
      tfjs: null,
    });
  };
  pool('maxPool 2×2 s2', 'max', 2, 2, 0);
  pool('maxPool 3×3 s2 p1', 'max', 3, 2, 1);
  pool('avgPool 2×2 s2', 'avg', 2, 2, 0);
  for (const shape of [[8, 512, 7, 7], NX]) {
    const x = T(rand(prod(shape)), shape);
    list.push({
      id: `GAP ${shape.join('×')}`, bytes: 4 * (prod(shape) + shape[0] * shape[1]),
      ours: (K) => () => K.globalAvgPool({ x }, {}),
      tfjs: () => { const tx = tf.tensor4d(rand(prod(shape)), [shape[0], shape[2], shape[3], shape[1]]); return () => tf.mean(tx, [1, 2], true); },
    });
  }
  const [N, C, H, W] = NX;
  const x = T(rand(prod(NX)), NX), dy = T(rand(prod(NX)), NX);
  const cv = (lo, hi) => T(rand(C, lo, hi), [C]);
  const mean = cv(-0.1, 0.1), variance = cv(0.5, 1.5), scale = cv(0.5, 1.5), offset = cv(-1, 1);
  list.push({
    id: 'batchNorm (eval)', bytes: 4 * (2 * prod(NX) + 4 * C),
    ours: (K) => () => K.batchNormInference({ x, mean, variance, scale, offset }, { eps: EPS }),
    tfjs: () => {
      const tx = tf.tensor4d(rand(prod(NX)), [N, H, W, C]);
      const [m, v, sc, of] = [mean, variance, scale, offset].map((t) => tf.tensor1d(t.data));
      return () => tf.batchNorm(tx, m, v, of, sc, EPS);
    },
  });
  const norms = [
    ['batchNorm (train)', 'batchNormTraining', 'batchNormBackward', { scale, offset }, { scale }, { eps: EPS }],
    ['instanceNorm', 'groupNorm', 'groupNormBackward', { weight: cv(0.5, 1.5), bias: cv(-1, 1) }, null, { numGroups: C, eps: EPS }],
    ['groupNorm(32)', 'groupNorm', 'groupNormBackward', { weight: cv(0.5, 1.5), bias: cv(-1, 1) }, null, { numGroups: 32, eps: EPS }],
    ['layerNorm', 'layerNorm', 'layerNormBackward', { weight: T(rand(C * H * W, 0.5, 1.5), [C, H, W]), bias: T(rand(C * H * W), [C, H, W]) }, null, { rowSize: C * H * W, eps: EPS }],
  ];
  for (const [id, fwd, bwd, params, bparams, attrs] of norms) {
    list.push({ id, bytes: 4 * 2 * prod(NX), ours: (K) => () => K[fwd]({ x, ...params }, attrs), tfjs: null });
    list.push({
      id: `${id} ∂`, bytes: 4 * 3 * prod(NX),
      ours: (K) => {
        const outs = K[fwd]({ x, ...params }, attrs);
        const aff = bparams ?? { weight: params.weight };
        return () => K[bwd]({ dy, x, mean: outs[1], variance: outs[2], ...aff }, attrs);
      },
      tfjs: null,
    });
  }
  return list;
}

const runs = Number(process.env.RUNS ?? 15);
const only = process.env.WORKLOADS?.split(',');
const rows = [];
const median = (a) => { const s = [...a].sort((p, q) => p - q); return s[s.length >> 1]; };
for (const w of workloads()) {
  if (only && !only.some((o) => w.id.toLowerCase().includes(o.toLowerCase()))) continue;
  const thunks = versions.map(([, K]) => w.ours(K));
  for (const f of thunks) for (let i = 0; i < 3; i++) f();
  const times = thunks.map(() => []);
  // interleaved: before/after see the same machine noise
  for (let r = 0; r < runs; r++) {
    thunks.forEach((f, j) => { const t = performance.now(); f(); times[j].push(performance.now() - t); });
  }
  const row = { workload: w.id };
  versions.forEach(([name], j) => { row[`${name} ms`] = +median(times[j]).toFixed(2); });
  const ms = median(times[times.length - 1]);
  row['GB/s'] = +(w.bytes / ms / 1e6).toFixed(2);
  if (tf && w.tfjs) {
    const op = w.tfjs();
    const run = () => { const r = op(); r.dataSync(); r.dispose(); };
    for (let i = 0; i < 2; i++) run();
    const tt = [];
    for (let r = 0; r < Math.min(runs, 10); r++) { const t = performance.now(); run(); tt.push(performance.now() - t); }
    const tm = median(tt);
    row['tfjs-cpu ms'] = +tm.toFixed(2);
    versions.forEach(([name], j) => { row[`× tfjs (${name})`] = +(tm / median(times[j])).toFixed(1); });
  }
  rows.push(row);
}
console.log(`median of ${runs} interleaved runs after warm-up, 1 thread`);
console.table(rows);
