/**
 * Runs the case table on every requested backend and compares with the references (DESIGN §3–4):
 * per element |got − ref| ≤ atol + rtol·|ref|, atol = 1e-5·m, rtol = 1e-4.
 */
import * as hc from '@hypercolumn/core';
import type { Tensor } from '@hypercolumn/core';
import { buildCases, type Case, type ReferenceKind, rowOf } from './cases.js';
import { OPS, weightedSum } from './ops.js';
import { runOnnx } from './oracle/onnx.js';
import type { F64, WithMagnitude } from './reference/index.js';
import type { CaseResult, CellStatus, ConformanceOptions, ConformanceResult, MatrixCell } from './types.js';
import { caseValues, type CaseValues, lossWeights } from './values.js';

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

/** One output: got vs ref with per-element magnitude m (or a scalar m); `slack` multiplies the bound. */
export function compareArrays(got: ArrayLike<number>, ref: ArrayLike<number>, m: ArrayLike<number> | number, opts: { rtol?: number; atolScale?: number; slack?: number; floor?: number } = {}): Comparison {
  const rtol = opts.rtol ?? RTOL;
  const atolScale = (opts.atolScale ?? 1) * ATOL_PER_MAGNITUDE;
  const slack = opts.slack ?? 1;
  if (got.length !== ref.length) return { ok: false, worstRatio: Infinity, worstAbsError: Infinity, message: `${got.length} values, expected ${ref.length}` };
  let worstRatio = 0;
  let worstAbsError = 0;
  let worstAt = -1;
  for (let i = 0; i < ref.length; i++) {
    const mag = typeof m === 'number' ? m : m[i];
    const err = Math.abs(got[i] - ref[i]);
    const bound = slack * (atolScale * mag + rtol * Math.abs(ref[i])) + (opts.floor ?? 0);
    const ratio = Number.isNaN(err) ? Infinity : err === 0 ? 0 : bound === 0 ? Infinity : err / bound;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstAt = i;
    }
    if (err > worstAbsError || Number.isNaN(err)) worstAbsError = Number.isNaN(err) ? Infinity : err;
  }
  const ok = worstRatio <= 1;
  return { ok, worstRatio, worstAbsError, ...(ok ? {} : { message: `element ${worstAt}: got ${got[worstAt]}, expected ${ref[worstAt]} (ratio ${worstRatio.toExponential(2)})` }) };
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
  grads?: Record<string, { g: Float64Array; scale: number; floor: number }>;
}

function plainInputs(c: Case, v: CaseValues): Record<string, number[]> {
  return Object.fromEntries((OPS[c.op].plainInputs ?? []).filter((n) => v.f32[n]).map((n) => [n, Array.from(v.f32[n])]));
}

/** Central finite differences of L = Σ y ⊙ r through the float64 reference, for every differentiable input. */
function finiteDifferences(c: Case, v: CaseValues, r: Float32Array): Prepared['grads'] {
  const spec = OPS[c.op];
  const base = v.f64;
  const grads: NonNullable<Prepared['grads']> = {};
  const loss = (vals: Record<string, F64>) => weightedSum(spec.reference(vals, c.attrs, base)[0], r);
  const y0 = spec.reference(base, c.attrs, base)[0];
  let absLoss = 0;
  for (let i = 0; i < y0.data.length; i++) absLoss += Math.abs(y0.data[i] * r[i]);
  for (const name of spec.differentiable ?? []) {
    const x = base[name];
    if (!x) continue;
    const g = new Float64Array(x.data.length);
    for (let j = 0; j < x.data.length; j++) {
      const plus = { ...base, [name]: { shape: x.shape, data: Float64Array.from(x.data) } };
      const minus = { ...base, [name]: { shape: x.shape, data: Float64Array.from(x.data) } };
      plus[name].data[j] += FD_STEP;
      minus[name].data[j] -= FD_STEP;
      g[j] = (loss(plus) - loss(minus)) / (2 * FD_STEP);
    }
    let scale = 0;
    for (const e of g) scale = Math.max(scale, Math.abs(e));
    // FD rounding noise: ~1e-16·Σ|y ⊙ r| / h, bounded generously
    grads[name] = { g, scale, floor: 1e-9 * (1 + absLoss) };
  }
  return grads;
}

function prepare(c: Case): Prepared {
  const values = caseValues(c);
  const spec = OPS[c.op];
  const p: Prepared = { values };
  if (c.kind === 'forward') {
    p.float64 = spec.reference(values.f64, c.attrs);
    if (c.references.includes('onnxruntime')) {
      const call = spec.onnx!(values.f64, c.attrs);
      if (typeof call !== 'string') {
        p.onnx = runOnnx(call.node, call.feeds);
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

async function execute(c: Case, p: Prepared): Promise<Got> {
  const spec = OPS[c.op];
  const backward = c.kind === 'backward';
  // scope() takes synchronous functions only: compute inside it, read the kept results outside
  const kept = hc.scope(() => {
    const t: Record<string, Tensor | undefined> = {};
    for (const name of spec.inputs) {
      if (!p.values.f32[name] || spec.plainInputs?.includes(name)) continue;
      const requiresGrad = backward && (spec.differentiable ?? []).includes(name);
      t[name] = hc.tensor(p.values.f32[name], p.values.shapes[name], { requiresGrad });
    }
    const outs = spec.run(hc, t, c.attrs, plainInputs(c, p.values));
    if (!backward) return { outputs: outs, grads: {} as Record<string, Tensor | null> };
    const y = outs[0];
    const r = hc.tensor(p.r!, [...y.shape]);
    const loss = hc.sum(hc.mul(y, r));
    loss.backward();
    const grads: Record<string, Tensor | null> = {};
    for (const name of Object.keys(p.grads!)) {
      // detached from its leaf, so the scope disposing the leaf leaves the gradient to us
      grads[name] = t[name]!.grad;
      t[name]!.grad = null;
    }
    return { outputs: [] as Tensor[], grads };
  });
  const got: Got = { outputs: [], grads: {} };
  try {
    for (const o of kept.outputs) got.outputs.push({ data: await o.data(), shape: [...o.shape] });
    for (const [name, g] of Object.entries(kept.grads)) got.grads[name] = g ? { data: await g.data(), shape: [...g.shape] } : null;
  } finally {
    for (const o of kept.outputs) o.dispose();
    for (const g of Object.values(kept.grads)) g?.dispose();
  }
  return got;
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
    // magnitude of a gradient element: the largest |∂L/∂input| of that input (a gradient sums
    // fan-out terms whose individual sizes the FD reference does not see)
    cmp = merge(cmp, compareArrays(g.data, fd.g, fd.scale, { rtol: c.tolerance?.rtol, atolScale: c.tolerance?.atolScale, floor: fd.floor }), `d/d${name}`);
  }
  return cmp ?? { ok: true, worstRatio: 0, worstAbsError: 0 };
}

function errorStatus(err: unknown): { status: CellStatus; message: string } {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { status: /no backend implements/.test(message) ? 'missing' : 'error', message };
}

// ------------------------------------------------------------------ matrix

const SEVERITY: CellStatus[] = ['pass', 'fallback', 'missing', 'fail', 'error'];

export function buildMatrix(results: CaseResult[]): ConformanceResult['matrix'] {
  const matrix: ConformanceResult['matrix'] = {};
  const perCase = new Map<string, { backend: string; op: string; statuses: CellStatus[]; ratio: number; abs: number }>();
  for (const r of results) {
    const key = `${r.backend}\u0000${r.id}`;
    const e = perCase.get(key) ?? { backend: r.backend, op: r.op, statuses: [], ratio: 0, abs: 0 };
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
  }
  return matrix;
}

// ------------------------------------------------------------------ entry point

/** Runs the conformance table on each requested (default: every available) backend. */
export async function runConformance(options: ConformanceOptions = {}): Promise<ConformanceResult> {
  const cases = buildCases({ quick: options.quick, seed: options.seed, ops: options.ops });
  const infos = await hc.listBackends();
  const names = options.backends ?? infos.filter((b) => b.available).map((b) => b.name);
  const backends = names.map((name) => {
    const info = infos.find((b) => b.name === name);
    return info
      ? { name, available: info.available, ...(info.reason !== undefined ? { reason: info.reason } : {}), kernels: [...info.kernels] as string[] }
      : { name, available: false, reason: 'not registered (import its package)', kernels: [] as string[] };
  });
  const total = backends.length * cases.reduce((n, c) => n + c.references.length, 0);
  const results: CaseResult[] = [];
  let done = 0;
  const emit = (r: CaseResult) => {
    results.push(r);
    options.onCase?.(r, ++done, total);
  };
  const prepared = new Map<string, Prepared>();
  const preparedFor = (c: Case) => {
    let p = prepared.get(c.id);
    if (!p) prepared.set(c.id, (p = prepare(c)));
    return p;
  };
  let previous: string | undefined;
  try {
    previous = hc.getBackend();
  } catch {
    previous = undefined;
  }

  for (const backend of backends) {
    if (!backend.available) {
      for (const c of cases) for (const reference of c.references) emit({ id: c.id, op: rowOf(c), backend: backend.name, status: 'missing', reference, message: `backend unavailable: ${backend.reason}` });
      continue;
    }
    await hc.setBackend(backend.name);
    const before = hc.memory();
    for (const c of cases) {
      const base = { id: c.id, op: rowOf(c), backend: backend.name };
      const fallbackKernels = c.kernels.filter((k) => !backend.kernels.includes(k));
      let got: Got | undefined;
      let failure: { status: CellStatus; message: string } | undefined;
      const caseBefore = hc.memory().numTensors;
      try {
        const p = preparedFor(c);
        got = await execute(c, p);
        const leaked = hc.memory().numTensors - caseBefore;
        if (leaked !== 0) failure = { status: 'fail', message: `leak: ${leaked} live tensors more after the case` };
      } catch (err) {
        const fn = OPS[c.op].api ?? (c.op === 'fuseConvBatchNorm' && !c.inputs.x ? 'fuseConvBatchNormParams' : c.op);
        const api = fn.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], hc);
        failure = typeof api !== 'function' ? { status: 'missing', message: `hc.${fn} is not exported` } : errorStatus(err);
        const leaked = hc.memory().numTensors - caseBefore;
        if (leaked !== 0) failure.message += ` (and ${leaked} live tensors leaked)`;
      }
      for (const reference of c.references) {
        if (failure && !got) {
          emit({ ...base, reference, ...failure });
          continue;
        }
        let cmp: Comparison;
        try {
          const p = preparedFor(c);
          if (c.kind === 'backward') cmp = checkBackward(c, p, got!);
          else cmp = checkForward(c, p, got!, reference, reference === 'onnxruntime' ? await p.onnx! : undefined);
        } catch (err) {
          emit({ ...base, reference, status: 'error', message: `reference failed: ${err instanceof Error ? err.message : String(err)}` });
          continue;
        }
        const status: CellStatus = !cmp.ok || failure ? 'fail' : fallbackKernels.length ? 'fallback' : 'pass';
        emit({
          ...base,
          reference,
          status,
          worstRatio: cmp.worstRatio,
          worstAbsError: cmp.worstAbsError,
          ...(fallbackKernels.length ? { fallbackKernels } : {}),
          ...(cmp.message || failure ? { message: [failure?.message, cmp.message].filter(Boolean).join('; ') } : {}),
        });
      }
    }
    const after = hc.memory();
    if (after.numTensors !== before.numTensors || after.numBytes !== before.numBytes) {
      emit({
        id: `memory/${backend.name}`,
        op: 'memory',
        backend: backend.name,
        status: 'fail',
        reference: 'float64',
        message: `leak over the run: ${after.numTensors - before.numTensors} tensors, ${after.numBytes - before.numBytes} bytes still live`,
      });
    }
  }
  if (previous) await hc.setBackend(previous).catch(() => undefined);
  const matrix = buildMatrix(results);
  const ok = results.every((r) => r.status === 'pass' || r.status === 'fallback');
  return { backends, cases: results, matrix, ok };
}
