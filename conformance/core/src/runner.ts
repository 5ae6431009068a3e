/**
 * Runs the case table on every requested backend and compares with the references (DESIGN §3–4):
 * per element |got − ref| ≤ atol + rtol·|ref|, atol = 1e-5·m, rtol = 1e-4.
 */
import * as hc from '@hypercolumn/core';
import type { KernelLaunch, KernelRoute, Tensor } from '@hypercolumn/core';
import { buildCases, type Case, type ReferenceKind, rowOf } from './cases.js';
import { OPS } from './ops.js';
import type { Oracle } from './oracle.js';
import type { F64, WithMagnitude } from './reference/index.js';
import type { BackendSummary, CaseResult, CellStatus, ConformanceOptions, ConformanceResult, MatrixCell } from './types.js';
import { caseValues, type CaseValues, lossWeights, rng } from './values.js';

export const RTOL = 1e-4;
export const ATOL_PER_MAGNITUDE = 1e-5;
/** Central-difference step for gradient checks (float64: truncation ~h², rounding ~1e-16/h). */
export const FD_STEP = 1e-4;

export interface Comparison {
  ok: boolean;
  worstRatio: number;
  worstAbsError: number;
  message?: string;
}

/**
 * One output: got vs ref with per-element magnitude m (or a scalar m); `slack` multiplies the bound.
 * `at`: ref holds the values of got's elements at[0], at[1], … only (a sampled gradient); failures
 * name got's own element.
 */
export function compareArrays(got: ArrayLike<number>, ref: ArrayLike<number>, m: ArrayLike<number> | number, opts: { rtol?: number; atolScale?: number; slack?: number; floor?: number; at?: ArrayLike<number> } = {}): Comparison {
  const rtol = opts.rtol ?? RTOL;
  const atolScale = (opts.atolScale ?? 1) * ATOL_PER_MAGNITUDE;
  const slack = opts.slack ?? 1;
  const at = opts.at;
  const compared = at ? at.length : got.length;
  if (compared !== ref.length) return { ok: false, worstRatio: Infinity, worstAbsError: Infinity, message: `${compared} values, expected ${ref.length}` };
  const gotAt = (i: number) => got[at ? at[i] : i];
  let worstRatio = 0;
  let worstAbsError = 0;
  let worstAt = -1;
  for (let i = 0; i < ref.length; i++) {
    const mag = typeof m === 'number' ? m : m[i];
    // equal infinities (a max-pool window entirely in padding is −Inf) and NaN against NaN match
    const g = gotAt(i);
    const same = g === ref[i] || (Number.isNaN(g) && Number.isNaN(ref[i]));
    const err = same ? 0 : Math.abs(g - ref[i]);
    const bound = slack * (atolScale * mag + rtol * Math.abs(ref[i])) + (opts.floor ?? 0);
    // past `same`, an infinity on either side is wrong (Inf − finite over an Inf bound would be NaN, not a failure)
    const ratio = Number.isNaN(err) || err === Infinity ? Infinity : err === 0 ? 0 : bound === 0 ? Infinity : err / bound;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstAt = i;
    }
    if (err > worstAbsError || Number.isNaN(err)) worstAbsError = Number.isNaN(err) ? Infinity : err;
  }
  const ok = worstRatio <= 1;
  return { ok, worstRatio, worstAbsError, ...(ok ? {} : { message: `element ${at ? at[worstAt] : worstAt}: got ${gotAt(worstAt)}, expected ${ref[worstAt]} (ratio ${worstRatio.toExponential(2)})` }) };
}

function merge(a: Comparison | undefined, b: Comparison, label: string): Comparison {
  if (!a) return { ...b, message: b.message && `${label}: ${b.message}` };
  return {
    ok: a.ok && b.ok,
    worstRatio: Math.max(a.worstRatio, b.worstRatio),
    worstAbsError: Math.max(a.worstAbsError, b.worstAbsError),
    message: a.message ?? (b.message && `${label}: ${b.message}`),
  };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((s, i) => s === b[i]);

// ------------------------------------------------------------------ references (computed once per case)

interface Prepared {
  values: CaseValues;
  float64?: WithMagnitude[];
  onnx?: Promise<{ data: Float32Array; shape: number[] }[]>;
  /** Backward: loss weights r and FD gradients per differentiable input. */
  r?: Float32Array;
  grads?: Record<string, { g: Float64Array; magnitude: Float64Array; floor: number; at?: Int32Array }>;
}

function plainInputs(c: Case, v: CaseValues): Record<string, number[]> {
  return Object.fromEntries((OPS[c.op].plainInputs ?? []).filter((n) => v.f32[n]).map((n) => [n, Array.from(v.f32[n])]));
}

/** `count` distinct element indices of [0, n) in ascending order, seeded: the first and the last, then random ones (all of them when n ≤ count). */
function sampleIndices(n: number, count: number, seed: number): Int32Array {
  if (n <= count) return Int32Array.from({ length: n }, (_, i) => i);
  const rand = rng(seed);
  const picked = new Set([0, n - 1]);
  while (picked.size < count) picked.add(Math.floor(rand() * n));
  return Int32Array.from([...picked].sort((a, b) => a - b));
}

/**
 * Finite differences of L = Σ y ⊙ r through the float64 reference, for every differentiable input:
 * per output, central differences at steps h and h/2 combined by Richardson's extrapolation (the
 * plain central difference's h² term was 2e-4 of a small gradient that sums large terms: frn's
 * d/deps, case seed 103). Outputs that are ±Inf at the base point are left out: such an output is the
 * same for every input nearby (a max-pool window entirely in padding is −Inf whatever x is), so its
 * gradient contribution is 0, as autograd gives, while Inf − Inf would make every difference NaN.
 *
 * Each gradient element ∂L/∂θ = Σᵢ rᵢ·∂yᵢ/∂θ is a sum over outputs, so its magnitude (DESIGN §3's m)
 * is Σᵢ |rᵢ·∂yᵢ/∂θ|, at least the gradient's largest element: a float32 backend cannot resolve a
 * gradient that cancels to far below its terms (group norm's d/dweight summing dy·x̂ to 4e-4 from
 * terms of size 1, case seed 130) better than float32 resolves the terms.
 *
 * A case with `fdSample` (layer-sized) is differentiated at a seeded sample of each input's elements
 * only; `at` lists them and the largest-element floor of m is then over the sample.
 */
function finiteDifferences(c: Case, v: CaseValues, r: Float32Array): Prepared['grads'] {
  const spec = OPS[c.op];
  const base = v.f64;
  const grads: NonNullable<Prepared['grads']> = {};
  const y0 = spec.reference(base, c.attrs, base)[0];
  const counted = Array.from(y0.data, (e) => Number.isFinite(e));
  let absLoss = 0;
  for (let i = 0; i < y0.data.length; i++) if (counted[i]) absLoss += Math.abs(y0.data[i] * r[i]);
  for (const [k, name] of (spec.differentiable ?? []).entries()) {
    const x = base[name];
    if (!x) continue;
    const at = c.fdSample !== undefined ? sampleIndices(x.data.length, c.fdSample, c.seed + 7919 * (k + 1)) : undefined;
    const count = at ? at.length : x.data.length;
    const g = new Float64Array(count);
    const m = new Float64Array(count);
    const outputAt = (j: number, by: number) => {
      const data = Float64Array.from(x.data);
      data[j] += by;
      return spec.reference({ ...base, [name]: { shape: x.shape, data } }, c.attrs, base)[0].data;
    };
    const h = FD_STEP;
    for (let j = 0; j < count; j++) {
      const e = at ? at[j] : j;
      const [p1, m1, p2, m2] = [outputAt(e, h), outputAt(e, -h), outputAt(e, h / 2), outputAt(e, -h / 2)];
      for (let i = 0; i < y0.data.length; i++) {
        if (!counted[i]) continue;
        const term = r[i] * (4 * (p2[i] - m2[i]) / h - (p1[i] - m1[i]) / (2 * h)) / 3;
        g[j] += term;
        m[j] += Math.abs(term);
      }
    }
    let scale = 0;
    for (const e of g) scale = Math.max(scale, Math.abs(e));
    for (let j = 0; j < m.length; j++) m[j] = Math.max(m[j], scale);
    // FD rounding noise: ~1e-16·Σ|y ⊙ r| / h, bounded generously
    grads[name] = { g, magnitude: m, floor: 1e-9 * (1 + absLoss), ...(at ? { at } : {}) };
  }
  return grads;
}

function prepare(c: Case, oracle: Oracle | undefined): Prepared {
  const values = caseValues(c);
  const spec = OPS[c.op];
  const p: Prepared = { values };
  if (c.kind === 'forward') {
    p.float64 = spec.reference(values.f64, c.attrs);
    if (oracle && c.references.includes('onnxruntime')) {
      const call = spec.onnx!(values.f64, c.attrs);
      if (typeof call !== 'string') {
        p.onnx = oracle(call.node, call.feeds);
        p.onnx.catch(() => undefined);
      }
    }
  } else {
    const y0 = spec.reference(values.f64, c.attrs, values.f64)[0];
    p.r = lossWeights(c.seed, y0.data.length);
    p.grads = finiteDifferences(c, values, p.r);
  }
  return p;
}

// ------------------------------------------------------------------ running one case on the current backend

interface Got {
  outputs: { data: Float32Array; shape: number[] }[];
  grads: Record<string, { data: Float32Array; shape: number[] } | null>;
}

interface Launched {
  outputs: Tensor[];
  grads: Record<string, Tensor | null>;
  /** Every tensor the case made that outlives the scope (inputs own their gradients). */
  owned: Tensor[];
}

/**
 * The synchronous part of a case inside one `scope`: inputs, the op, and for backward cases the
 * loss Σ y ⊙ r and `backward()`. Everything it returns is disposed by the caller after the reads.
 */
function launch(c: Case, p: Prepared): Launched {
  const spec = OPS[c.op];
  const backward = c.kind === 'backward';
  return hc.scope(() => {
    const t: Record<string, Tensor | undefined> = {};
    for (const name of spec.inputs) {
      if (!p.values.f32[name] || spec.plainInputs?.includes(name)) continue;
      const requiresGrad = backward && (spec.differentiable ?? []).includes(name);
      t[name] = hc.tensor(p.values.f32[name], p.values.shapes[name], { requiresGrad });
    }
    const owned = Object.values(t).filter((x): x is Tensor => x !== undefined);
    const outs = spec.run(hc, t, c.attrs, plainInputs(c, p.values));
    if (!backward) return { outputs: outs, grads: {}, owned };
    const y = outs[0];
    const r = hc.tensor(p.r!, [...y.shape]);
    const loss = hc.sum(hc.mul(y, r));
    loss.backward();
    const grads: Launched['grads'] = {};
    for (const name of Object.keys(p.grads!)) grads[name] = t[name]!.grad;
    return { outputs: [], grads, owned };
  });
}

const readOut = async (x: Tensor) => ({ data: await x.data(), shape: [...x.shape] });

/** Runs a case: launches (traced into `launches`, also when it throws), then reads the results back. */
async function execute(c: Case, p: Prepared, launches: KernelLaunch[]): Promise<Got> {
  const { result } = hc.traceKernels(() => launch(c, p), launches);
  try {
    const got: Got = { outputs: [], grads: {} };
    for (const o of result.outputs) got.outputs.push(await readOut(o));
    for (const [name, g] of Object.entries(result.grads)) got.grads[name] = g ? await readOut(g) : null;
    return got;
  } finally {
    for (const x of new Set([...result.outputs, ...result.owned])) x.dispose();
  }
}

function checkForward(c: Case, p: Prepared, got: Got, ref: ReferenceKind, onnx?: { data: Float32Array; shape: number[] }[]): Comparison {
  let cmp: Comparison | undefined;
  const tol = { rtol: c.tolerance?.rtol, atolScale: c.tolerance?.atolScale };
  if (ref !== 'onnxruntime') {
    // float64 (or, for rows whose float64 reference is finite differences, 'finite-difference')
    const refs = p.float64!;
    if (got.outputs.length < refs.length) return { ok: false, worstRatio: Infinity, worstAbsError: Infinity, message: `${got.outputs.length} outputs, expected ${refs.length}` };
    refs.forEach((rf, k) => {
      const o = got.outputs[k];
      if (!sameShape(o.shape, rf.shape)) cmp = merge(cmp, { ok: false, worstRatio: Infinity, worstAbsError: Infinity, message: `shape [${o.shape}], expected [${rf.shape}]` }, `output ${k}`);
      else cmp = merge(cmp, compareArrays(o.data, rf.data, rf.magnitude.data, tol), `output ${k}`);
    });
    if (c.expected) {
      const o = got.outputs[0];
      if (c.expected.shape && !sameShape(o.shape, c.expected.shape)) {
        cmp = merge(cmp, { ok: false, worstRatio: Infinity, worstAbsError: Infinity, message: `shape [${o.shape}], expected [${c.expected.shape}] (${c.expected.note})` }, 'expected');
      }
      if (c.expected.values) {
        const exact = compareArrays(o.data, c.expected.values, 0, { rtol: 0, atolScale: 0 });
        cmp = merge(cmp, { ...exact, worstRatio: exact.ok ? 0 : Infinity }, `hand-computed (${c.expected.note})`);
      }
    }
  } else {
    // two float32 results, each within the DESIGN bound of the truth, differ by at most twice the bound
    onnx!.forEach((rf, k) => {
      const o = got.outputs[k];
      if (!sameShape(o.shape, rf.shape)) cmp = merge(cmp, { ok: false, worstRatio: Infinity, worstAbsError: Infinity, message: `shape [${o.shape}], onnxruntime [${rf.shape}]` }, `output ${k}`);
      else cmp = merge(cmp, compareArrays(o.data, rf.data, p.float64![k].magnitude.data, { ...tol, slack: 2 }), `output ${k}`);
    });
  }
  return cmp!;
}

function checkBackward(c: Case, p: Prepared, got: Got): Comparison {
  let cmp: Comparison | undefined;
  for (const [name, fd] of Object.entries(p.grads!)) {
    const g = got.grads[name];
    if (!g) {
      cmp = merge(cmp, { ok: false, worstRatio: Infinity, worstAbsError: Infinity, message: 'no gradient (.grad is null)' }, `d/d${name}`);
      continue;
    }
    if (!sameShape(g.shape, p.values.shapes[name])) {
      cmp = merge(cmp, { ok: false, worstRatio: Infinity, worstAbsError: Infinity, message: `grad shape [${g.shape}], expected [${p.values.shapes[name]}]` }, `d/d${name}`);
      continue;
    }
    cmp = merge(cmp, compareArrays(g.data, fd.g, fd.magnitude, { rtol: c.tolerance?.rtol, atolScale: c.tolerance?.atolScale, floor: fd.floor, at: fd.at }), `d/d${name}`);
  }
  return cmp ?? { ok: true, worstRatio: 0, worstAbsError: 0 };
}

const ROUTES: KernelRoute[] = ['native', 'composite', 'fallback', 'missing'];
const worseRoute = (a: KernelRoute, b: KernelRoute): KernelRoute => (ROUTES.indexOf(b) > ROUTES.indexOf(a) ? b : a);

/** Kernels of a trace on `backend`, each with its worst route there. */
function routesOf(launches: readonly KernelLaunch[], backend: string): Record<string, KernelRoute> {
  const kernels: Record<string, KernelRoute> = {};
  for (const l of launches) if (l.backend === backend) kernels[l.kernel] = worseRoute(kernels[l.kernel] ?? 'native', l.route);
  return kernels;
}

const worstRoute = (kernels: Record<string, KernelRoute>): KernelRoute => Object.values(kernels).reduce(worseRoute, 'native');

function errorStatus(err: unknown, kernels: Record<string, KernelRoute>): { status: CellStatus; message: string } {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const missing = Object.keys(kernels).filter((k) => kernels[k] === 'missing');
  return missing.length ? { status: 'missing', message: `no route for kernel ${missing.join(', ')}: ${message}` } : { status: 'error', message };
}

// ------------------------------------------------------------------ matrix

const SEVERITY: CellStatus[] = ['pass', 'fallback', 'missing', 'fail', 'error'];

export function buildMatrix(results: CaseResult[]): ConformanceResult['matrix'] {
  const matrix: ConformanceResult['matrix'] = {};
  const perCase = new Map<string, { backend: string; op: string; statuses: CellStatus[]; ratio: number; abs: number; kernels?: Record<string, KernelRoute> }>();
  for (const r of results) {
    const key = `${r.backend}\u0000${r.id}`;
    const e = perCase.get(key) ?? { backend: r.backend, op: r.op, statuses: [], ratio: 0, abs: 0, ...(r.kernels ? { kernels: r.kernels } : {}) };
    e.statuses.push(r.status);
    if (r.worstRatio !== undefined) e.ratio = Math.max(e.ratio, r.worstRatio);
    if (r.worstAbsError !== undefined) e.abs = Math.max(e.abs, r.worstAbsError);
    perCase.set(key, e);
  }
  for (const e of perCase.values()) {
    const row = (matrix[e.backend] ??= {});
    const cell: MatrixCell = (row[e.op] ??= { status: 'pass', cases: 0, passed: 0 });
    cell.cases++;
    const worst = e.statuses.reduce((a, s) => (SEVERITY.indexOf(s) > SEVERITY.indexOf(a) ? s : a), 'pass' as CellStatus);
    if (worst === 'pass' || worst === 'fallback') cell.passed++;
    if (SEVERITY.indexOf(worst) > SEVERITY.indexOf(cell.status)) cell.status = worst;
    cell.worstRatio = Math.max(cell.worstRatio ?? 0, e.ratio);
    cell.worstAbsError = Math.max(cell.worstAbsError ?? 0, e.abs);
    if (e.kernels) {
      const kernels = (cell.kernels ??= {});
      for (const [k, route] of Object.entries(e.kernels)) kernels[k] = worseRoute(kernels[k] ?? 'native', route);
      cell.route = worstRoute(kernels);
    }
  }
  return matrix;
}

// ------------------------------------------------------------------ entry point

interface MemoryMark {
  tensors: number;
  bytes: number;
  backendBytes: number;
}

function mark(backend: string): MemoryMark {
  const m = hc.memory();
  return { tensors: m.numTensors, bytes: m.numBytes, backendBytes: m.backends[backend]?.backendBytes ?? 0 };
}

/**
 * Explicitly named backends (each required), or every registered one (the available ones tested),
 * plus the `require`d ones.
 */
async function selectBackends(options: ConformanceOptions): Promise<BackendSummary[]> {
  const infos = await hc.listBackends();
  const named = options.backends ?? (options.backend !== undefined ? [options.backend] : undefined);
  const required = new Set([...(named ?? []), ...(options.require ?? [])]);
  const summary = (name: string): BackendSummary => {
    const info = infos.find((b) => b.name === name);
    const must = required.has(name);
    if (!info) return { name, available: false, reason: 'not registered (import its package)', kernels: [], resolution: {}, tested: false, required: must };
    const reason = info.reason !== undefined ? { reason: info.reason } : {};
    return { name, available: info.available, ...reason, kernels: [...info.kernels], resolution: { ...info.resolution }, tested: info.available, required: must };
  };
  return [...new Set([...(named ?? infos.map((b) => b.name)), ...required])].map(summary);
}

/**
 * Runs the conformance table on each requested (default: every available) backend. Each case runs
 * its kernels synchronously inside one `scope` (traced, so its kernel list and their routes are what
 * actually launched), then reads results back. A case must leave no tensor, no storage byte and no
 * backend-held byte behind; growth of the backend's own bytes counts as a leak when a second run of
 * the same case grows them again (a cache filling once is not a leak).
 */
export async function runConformance(options: ConformanceOptions = {}): Promise<ConformanceResult> {
  const selected = buildCases({ quick: options.quick, seed: options.seed, ops: options.ops });
  const cases = options.filter ? selected.filter(options.filter) : selected;
  const referencesOf = (c: Case) => c.references.filter((r) => r !== 'onnxruntime' || options.oracle);
  const backends = await selectBackends(options);
  const total = backends.filter((b) => b.tested || b.required).length * cases.reduce((n, c) => n + referencesOf(c).length, 0);
  const results: CaseResult[] = [];
  let done = 0;
  const emit = (r: CaseResult) => {
    results.push(r);
    options.onCase?.(r, ++done, total);
  };
  const prepared = new Map<string, Prepared>();
  const preparedFor = (c: Case) => {
    let p = prepared.get(c.id);
    if (!p) prepared.set(c.id, (p = prepare(c, options.oracle)));
    return p;
  };
  let previous: string | undefined;
  try {
    previous = hc.getBackend();
  } catch {
    previous = undefined;
  }

  for (const backend of backends) {
    if (!backend.tested) {
      if (!backend.required) continue;
      for (const c of cases) for (const reference of referencesOf(c)) emit({ id: c.id, op: rowOf(c), backend: backend.name, status: 'missing', reference, message: `backend unavailable: ${backend.reason}` });
      continue;
    }
    await hc.setBackend(backend.name);
    await hc.sync(); // deferred frees have landed before memory is measured
    const before = mark(backend.name);
    for (const c of cases) {
      const base = { id: c.id, op: rowOf(c), backend: backend.name };
      const launches: KernelLaunch[] = [];
      let got: Got | undefined;
      let failure: { status: CellStatus; message: string } | undefined;
      const caseBefore = mark(backend.name);
      try {
        got = await execute(c, preparedFor(c), launches);
      } catch (err) {
        const fn = OPS[c.op].api ?? (c.op === 'fuseConvBatchNorm' && !c.inputs.x ? 'fuseConvBatchNormParams' : c.op);
        const api = fn.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], hc);
        failure = typeof api !== 'function' ? { status: 'missing', message: `hc.${fn} is not exported` } : errorStatus(err, routesOf(launches, backend.name));
      }
      await hc.sync();
      const leak = await leakOf(c, preparedFor(c), caseBefore, backend.name, got !== undefined);
      if (leak) failure = failure ? { ...failure, message: `${failure.message} (and ${leak})` } : { status: 'fail', message: leak };
      const kernels = routesOf(launches, backend.name);
      const route = worstRoute(kernels);
      const fallbackKernels = Object.keys(kernels).filter((k) => kernels[k] === 'fallback');
      const traced = { kernels, route, ...(fallbackKernels.length ? { fallbackKernels } : {}) };
      for (const reference of referencesOf(c)) {
        if (failure && !got) {
          emit({ ...base, reference, ...traced, ...failure });
          continue;
        }
        let cmp: Comparison;
        try {
          const p = preparedFor(c);
          if (c.kind === 'backward') cmp = checkBackward(c, p, got!);
          else cmp = checkForward(c, p, got!, reference, reference === 'onnxruntime' ? await p.onnx! : undefined);
        } catch (err) {
          emit({ ...base, reference, ...traced, status: 'error', message: `reference failed: ${err instanceof Error ? err.message : String(err)}` });
          continue;
        }
        const status: CellStatus = !cmp.ok || failure ? 'fail' : route === 'fallback' ? 'fallback' : 'pass';
        emit({
          ...base,
          reference,
          status,
          worstRatio: cmp.worstRatio,
          worstAbsError: cmp.worstAbsError,
          ...traced,
          ...(cmp.message || failure ? { message: [failure?.message, cmp.message].filter(Boolean).join('; ') } : {}),
        });
      }
    }
    const after = mark(backend.name);
    if (after.tensors !== before.tensors || after.bytes !== before.bytes) {
      emit({
        id: `memory/${backend.name}`,
        op: 'memory',
        backend: backend.name,
        status: 'fail',
        reference: 'float64',
        message: `leak over the run: ${after.tensors - before.tensors} tensors, ${after.bytes - before.bytes} bytes still live`,
      });
    }
  }
  if (previous) await hc.setBackend(previous).catch(() => undefined);
  const matrix = buildMatrix(results);
  const ok = backends.every((b) => b.tested || !b.required) && results.every((r) => r.status === 'pass' || r.status === 'fallback');
  const references: ConformanceResult['references'] = ['float64', 'finite-difference', ...(options.oracle ? (['onnxruntime'] as const) : [])];
  return { backends, cases: results, matrix, references, ok };
}

/** What a case left behind, if anything: live tensors, storage bytes, or backend bytes that grow on every run. */
async function leakOf(c: Case, p: Prepared, before: MemoryMark, backend: string, ran: boolean): Promise<string | undefined> {
  const after = mark(backend);
  if (after.tensors !== before.tensors || after.bytes !== before.bytes) {
    return `leak: ${after.tensors - before.tensors} live tensors and ${after.bytes - before.bytes} bytes more after the case`;
  }
  if (!ran || after.backendBytes <= before.backendBytes) return undefined;
  // the backend holds more bytes: a cache warming up, or a leak? Run the case again and look.
  try {
    await execute(c, p, []);
  } catch {
    return undefined;
  }
  await hc.sync();
  const again = mark(backend).backendBytes - after.backendBytes;
  return again > 0 ? `leak: the backend holds ${again} bytes more after each run of the case` : undefined;
}
