/**
 * A seeded fuzzer of hostile calls over every public op and layer, on one backend (issue 9).
 *
 * Two sources of calls, mixed:
 *  - the conformance table's forward cases, mutated: one attribute replaced by a hostile value (or an
 *    unknown key added), one input replaced (a non-tensor, a disposed tensor, a tensor of another
 *    shape or rank, a tensor on another backend), input values spiked with NaN/±Infinity/large
 *    numbers, or an input reshaped. When the op accepts the call, its outputs are compared with the
 *    float64 reference run on exactly the same values and attributes;
 *  - direct probes of the API the table does not cover: creation functions, broadcastTo/reshape,
 *    scope/noGrad/keep, tensor methods, every layer constructor (and a forward), optimizers and
 *    clipping, the state-dict bytes, the shape helpers.
 *
 * Each call lands in one class: `ok` (accepted, right result), `rejected` (a HypercolumnError),
 * `other-error` (anything else thrown), `wrong-result` (accepted, but differs from the reference, or
 * accepted input the reference itself refuses), `leak` (hc.memory() changed by a call once its own
 * results are disposed) or `hang` (a call over `hangMs`). The bad classes must stay at zero.
 * Everything is drawn from `seed`: a finding names its seed and call index, and
 * `fuzz({ seed, only: index })` replays that call alone.
 *
 * Browser-safe: no Node import (the vitest wrapper reads HC_FUZZ_SEED / HC_FUZZ_CALLS).
 */
import * as hc from '@hypercolumn/core';
import type { Tensor } from '@hypercolumn/core';
import { buildCases, type Case } from './cases.js';
import { OPS } from './ops.js';
import type { F64 } from './reference/index.js';
import { caseValues, FLOAT32_MIN_NORMAL } from './values.js';

export type FuzzOutcome = 'ok' | 'rejected' | 'other-error' | 'wrong-result' | 'leak' | 'hang';
export const BAD_OUTCOMES: readonly FuzzOutcome[] = ['other-error', 'wrong-result', 'leak', 'hang'];

export interface FuzzFinding {
  /** Index of the call in this seed's sequence (replay with `only`). */
  call: number;
  api: string;
  outcome: FuzzOutcome;
  detail: string;
}

export interface FuzzReport {
  seed: number;
  backend: string;
  calls: number;
  counts: Record<FuzzOutcome, number>;
  /** Per public API, outcome counts (what was exercised). */
  byApi: Record<string, Partial<Record<FuzzOutcome, number>>>;
  /** Every call in a bad class (at most 50 kept). */
  findings: FuzzFinding[];
  /** One line to replay this run. */
  replay: string;
}

export interface FuzzOptions {
  /** The backend under test (must be registered and available). */
  backend: string;
  seed: number;
  /** Number of calls (default 2000). */
  calls?: number;
  /** Stop early after this much wall time, in ms (default 8000): CI stays bounded. */
  timeBudgetMs?: number;
  /** A call slower than this is a hang (default 10 000 ms: a legal call near the 2 GiB size guard takes seconds). */
  hangMs?: number;
  /** Run only this call index (replay of a finding). */
  only?: number;
  /** A second registered backend, for tensors on the wrong backend (default: none). */
  otherBackend?: string;
}

// ------------------------------------------------------------------ seeded choice

class Draw {
  private state: number;
  constructor(seed: number) {
    this.state = (seed ^ 0x9e3779b9) >>> 0;
  }
  /** mulberry32 in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** An array with a hole at index 0 (`[, 1]`): length 2, one element. */
// eslint-disable-next-line no-sparse-arrays
const HOLEY = [, 1];

/**
 * Hostile scalars: wrong types, non-finite, negative, fractional, huge, denormal, boxed, array-likes
 * with holes, frozen and proxied objects.
 */
const HOSTILE_SCALARS: readonly unknown[] = [
  0, -1, -0, 1.5, NaN, Infinity, -Infinity, 1e308, -1e308, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 20, 2 ** 30, 2 ** 30 + 1,
  1e-320, 1e-45, 5e-324, -1e-45, Number.EPSILON, 0.1 + 0.2,
  '3', '1e3', ' ', '-0', 'abc', '', 'same', 'valid', 'NaN', null, undefined, true, false,
  [], [1], [1, 2, 3], [-1, 2], [NaN, 1], [1, 2, 3, 4, 5], HOLEY, new Array(2), [[1]], ['1'], [1n], [-0, 0],
  Object.freeze([1, 2]), new Proxy([2, 2], {}), Object.freeze({}), new Proxy({}, {}), Object.create(null),
  {}, { valueOf: () => 3 }, { toString: () => '3' }, { length: 2 }, new Number(3), new String('3'), new Date(0),
  () => 1, Symbol.for('x'), 10n, -1n, Float32Array.of(1, 2), new Int32Array(0),
];

/** Hostile window geometry (strides, dilations, paddings, kernel sizes): each legal alone, not together. */
const HOSTILE_GEOMETRY: readonly unknown[] = [
  2 ** 30, 2 ** 30 + 1, [2 ** 30, 1], [1, 2 ** 30], [0, 0, 0, 2 ** 30], [2 ** 29, 2 ** 29], [2 ** 15, 2 ** 15], [0, 2 ** 30], 65535, [1, 2 ** 31 - 1], [3, 3, 3, 3], 'same',
];
const GEOMETRY_KEYS = new Set(['padding', 'stride', 'dilation', 'kernelSize']);

/** A readable, complete description of a value (also the snapshot compared to detect mutation). */
function describeValue(v: unknown, depth = 0): string {
  if (depth > 6) return '…';
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'function';
  if (Object.is(v, -0)) return '-0';
  if (v instanceof hc.Tensor) return v.toString();
  if (Array.isArray(v)) return `[${Array.from({ length: v.length }, (_, i) => (i in v ? describeValue(v[i], depth + 1) : '<hole>')).join(', ')}]`;
  if (v && typeof v === 'object') {
    if (ArrayBuffer.isView(v)) {
      const items = Array.from(v as unknown as ArrayLike<number>);
      return `${v.constructor.name}(${items.length})[${items.slice(0, 64).map((x) => describeValue(x)).join(', ')}${items.length > 64 ? ', …' : ''}]`;
    }
    if (v instanceof Date) return `Date(${v.getTime()})`;
    return `{${Object.entries(v).map(([k, x]) => `${k}: ${describeValue(x, depth + 1)}`).join(', ')}}`;
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

// ------------------------------------------------------------------ one call, classified

interface Ran {
  made: Tensor[];
  check?: () => string | undefined | Promise<string | undefined>;
}

interface Attempt {
  api: string;
  /** What the call was (the table case and its mutation), for findings. */
  what?: string;
  /**
   * Runs the call (synchronous or awaited); returns the tensors it produced (disposed by the fuzzer)
   * and a check of the result, which reads values back with `await tensor.data()` (async backends
   * have no synchronous read).
   */
  run(): Ran | Promise<Ran>;
  /** Tensors the probe made before the call (inputs), disposed after it. */
  inputs: Tensor[];
  /** Disposes anything else the probe owns (modules, optimizers), after the leak check baseline. */
  cleanup?: () => void;
  /**
   * Run after every call that settled, accepted or rejected: says what of the caller's arguments the
   * call changed (tensor values, shape and data arrays, option objects), where the API does not say so.
   */
  unchanged?: () => string | undefined | Promise<string | undefined>;
}

/** Snapshots of values the caller passed: each must read the same after the call. */
function watch(values: Record<string, unknown>): () => string | undefined {
  const before = Object.entries(values).map(([k, v]) => [k, describeValue(v)] as const);
  return () => {
    for (const [k, was] of before) {
      const now = describeValue(values[k]);
      if (now !== was) return `changed the caller's ${k}: ${was} became ${now}`;
    }
    return undefined;
  };
}

/** Each live tensor still holds `expected` (bit for bit, NaN equal to NaN). */
async function tensorsUnchanged(expected: [string, Tensor, Float32Array][]): Promise<string | undefined> {
  for (const [name, t, want] of expected) {
    if (t.isDisposed) return `disposed the caller's ${name}`;
    const got = await t.data();
    for (let i = 0; i < want.length; i++) {
      if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i]))) return `changed the caller's ${name}[${i}]: ${want[i]} became ${got[i]}`;
    }
  }
  return undefined;
}

/** Settles with `work`'s result, or with `'hang'` once `ms` have passed without it settling. */
async function withinTime<T>(work: () => T | Promise<T>, ms: number): Promise<{ value: T } | 'hang'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), ms)));
  try {
    // a synchronous call runs inside this promise (and cannot be interrupted: it is timed afterwards)
    return await Promise.race([Promise.resolve().then(work).then((value) => ({ value })), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one attempt and classifies it; `before` is hc.memory() before the attempt made its inputs. A call (with its result check) that has not settled after
 * `hangMs` is a hang: the run cannot go on safely after one (its tensors and queued work are in an
 * unknown state), so the caller stops there.
 */
async function classify(attempt: Attempt, hangMs: number, before: hc.MemoryInfo): Promise<{ outcome: FuzzOutcome; detail: string }> {
  let outcome: FuzzOutcome = 'ok';
  let detail = '';
  const start = performance.now();
  let made: Tensor[] = [];
  let settled;
  try {
    settled = await withinTime(async () => {
      const result = await attempt.run();
      made = result.made;
      return await result.check?.();
    }, hangMs);
    if (settled !== 'hang' && settled.value) {
      outcome = 'wrong-result';
      detail = settled.value;
    }
  } catch (err) {
    if (err instanceof hc.HypercolumnError) {
      outcome = 'rejected';
      detail = err.message;
      if (!/^[A-Za-z0-9_.]+: \S/.test(err.message)) {
        outcome = 'other-error';
        detail = `HypercolumnError without the "op: argument …" form: ${err.message}`;
      }
    } else {
      outcome = 'other-error';
      detail = err instanceof Error ? `${err.name}: ${err.message}` : `threw ${describeValue(err)}`;
    }
  }
  if (settled === 'hang') return { outcome: 'hang', detail: `not settled after ${hangMs} ms` };
  if (outcome === 'ok' || outcome === 'rejected') {
    const changed = await withinTime(() => attempt.unchanged?.(), hangMs);
    if (changed === 'hang') return { outcome: 'hang', detail: `reading the arguments back did not settle after ${hangMs} ms` };
    if (changed.value) {
      detail = `${outcome === 'ok' ? 'accepted' : `rejected (${detail})`} but ${changed.value}`;
      outcome = 'wrong-result';
    }
  }
  const elapsed = performance.now() - start;
  // everything the attempt made, its inputs included (a call may dispose or reassign one of them)
  for (const t of made) if (t instanceof hc.Tensor) t.dispose();
  for (const t of attempt.inputs) t.dispose();
  attempt.cleanup?.();
  const after = hc.memory();
  if (outcome !== 'wrong-result' && outcome !== 'other-error' && (after.numTensors !== before.numTensors || after.numBytes !== before.numBytes)) {
    detail = `${after.numTensors - before.numTensors} tensors, ${after.numBytes - before.numBytes} bytes left after a${outcome === 'rejected' ? ' rejected' : 'n accepted'} call (${detail || 'no error'})`;
    outcome = 'leak';
  }
  if (elapsed > hangMs) {
    outcome = 'hang';
    detail = `${elapsed.toFixed(0)} ms (${detail})`;
  }
  return { outcome, detail };
}

// ------------------------------------------------------------------ comparing with the reference

const FLOAT32_MAX = 3.4028234663852886e38;

/** Finite reference values within the §3 bound (magnitude-scaled, with slack for hostile values); non-finite ones must be non-finite. */
function compareWithReference(got: { data: Float32Array; shape: readonly number[] }[], refs: { shape: number[]; data: Float64Array; magnitude: { data: Float64Array } }[], nonFiniteInput: boolean, shapesOnly = false): string | undefined {
  if (got.length < refs.length) return `${got.length} outputs, reference has ${refs.length}`;
  for (let k = 0; k < refs.length; k++) {
    const g = got[k]!;
    const r = refs[k]!;
    if (g.shape.length !== r.shape.length || g.shape.some((s, i) => s !== r.shape[i])) return `output ${k}: shape [${g.shape.join(', ')}], reference [${r.shape.join(', ')}]`;
    if (shapesOnly) continue;
    for (let i = 0; i < r.data.length; i++) {
      const ref = r.data[i]!;
      const v = g.data[i]!;
      // a NaN/±Infinity input may reach more or fewer outputs than in the reference, both legitimately:
      // 0·∞ in a padded product (PyTorch and ONNX Runtime multiply padding too), a product with a
      // structural zero (convToMatrix), min/max clipping of a NaN statistic
      if (nonFiniteInput && (!Number.isFinite(v) || !Number.isFinite(ref))) continue;
      if (!Number.isFinite(ref)) {
        if (Number.isFinite(v)) return `output ${k}[${i}]: got ${v}, reference ${ref}`;
        continue;
      }
      // beyond float32's range (a denormal eps under a square root): float32 can only say ±Infinity
      if (Math.abs(ref) > FLOAT32_MAX) {
        if (v !== Math.sign(ref) * Infinity) return `output ${k}[${i}]: got ${v}, reference ${ref} (beyond float32: ±Infinity expected)`;
        continue;
      }
      const m = r.magnitude.data[i] ?? Math.abs(ref);
      // float32 storage of large hostile values: the magnitude bound of DESIGN §3, ×10 for spiked inputs
      const bound = 10 * (1e-5 * m + 1e-4 * Math.abs(ref)) + 1e-30;
      if (!(Math.abs(v - ref) <= bound)) {
        if (!Number.isFinite(m) || m > 3e38) continue; // float32 overflow of the terms: the reference is not comparable
        return `output ${k}[${i}]: got ${v}, reference ${ref} (bound ${bound.toExponential(2)})`;
      }
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ table mutations

/** Ops that take a plain number for a tensor operand (NumPy-style scalars), 0 and NaN included. */
const NUMBER_OPERAND_OPS = new Set(['add', 'sub', 'mul', 'div', 'maximum', 'minimum']);

/** Ops whose rows are whole training runs or loops over other ops: too slow for a fuzz call. */
const TABLE_SKIP = new Set(['networkGradient', 'trainSteps', 'sgd', 'batchNorm2d', 'adaptiveGradClip', 'clipGradNorm']);

function tableAttempt(draw: Draw, cases: Case[], backend: string, otherBackend: string | undefined): Attempt {
  const c = draw.pick(cases);
  const spec = OPS[c.op]!;
  const values = caseValues(c);
  const attrs: Record<string, unknown> = structuredClone(c.attrs);
  const mutation = draw.next();
  const notes: string[] = [];
  let nonFiniteInput = false;
  /**
   * A value at float32's limits: near its maximum (intermediates such as a square or a scale overflow
   * where float64's do not) or a denormal attribute (1e-45 is 1.4e-45 in float32: √eps differs by 16 %).
   * Only shapes are compared then.
   */
  let atFloat32Limits = false;
  const isPlain = (name: string) => (spec.plainInputs ?? []).includes(name);
  // spike values (every mutation kind may also do this)
  if (draw.chance(0.3)) {
    const name = draw.pick(Object.keys(values.f32));
    const arr = values.f32[name]!;
    if (arr.length && !isPlain(name)) {
      const spike = draw.pick([NaN, Infinity, -Infinity, 1e6, -1e6, 0, -0, 1e-30, 1e-45, 3e38, -3e38]);
      const at = draw.int(0, arr.length - 1);
      arr[at] = spike;
      values.f64[name]!.data[at] = Math.fround(spike);
      notes.push(`${name}[${at}] = ${describeValue(spike)}`);
      nonFiniteInput = !Number.isFinite(spike);
      atFloat32Limits = Math.abs(spike) > 1e38;
    }
  }
  const hostileAttr = (key: string) => (GEOMETRY_KEYS.has(key) && draw.chance(0.4) ? draw.pick(HOSTILE_GEOMETRY) : draw.pick(HOSTILE_SCALARS));
  let replaced: { name: string; value: unknown } | undefined;
  if (mutation < 0.45) {
    const keys = Object.keys(attrs);
    const key = keys.length === 0 || draw.chance(0.15)
      ? draw.pick(['padding', 'stride', 'kernelSize', 'eps', 'momentum', 'dim', 'axis', 'keepDims', 'training', 'unknownOption', 'ceilMode', 'groups', 'dilation'])
      : draw.pick(keys);
    attrs[key] = keys.includes(key) && draw.chance(0.1) ? undefined : hostileAttr(key);
    notes.push(`attrs.${key} = ${describeValue(attrs[key])}`);
    // huge geometry combinations: a second window attribute at once
    const second = [...GEOMETRY_KEYS].filter((k) => k !== key && k in attrs);
    if (GEOMETRY_KEYS.has(key) && second.length && draw.chance(0.4)) {
      const other = draw.pick(second);
      attrs[other] = draw.pick(HOSTILE_GEOMETRY);
      notes.push(`attrs.${other} = ${describeValue(attrs[other])}`);
    }
  } else if (mutation < 0.75) {
    const names = spec.inputs.filter((n) => values.f32[n]);
    const name = draw.pick(names.length ? names : spec.inputs);
    const kind = draw.int(0, 6);
    const tensorNames = names.filter((n) => n !== name && !isPlain(n));
    if (isPlain(name)) {
      replaced = { name, value: draw.pick([[0.5], [-1], [99], 'abc', null, [NaN], new Float32Array(3), new Int32Array([7]), HOLEY, [2 ** 31], [-0], [1e-45], Object.freeze([0]), new Proxy([0], {}), [0, 0, 0, 0, 0, 0, 0, 0], ['0'], [0n]]) };
    } else if (kind === 0) replaced = { name, value: draw.pick(HOSTILE_SCALARS) };
    else if (kind === 1) replaced = { name, value: 'disposed' };
    else if (kind === 2 && otherBackend) replaced = { name, value: 'other-backend' };
    else if (kind === 5 && tensorNames.length) replaced = { name, value: { alias: draw.pick(tensorNames) } }; // one tensor passed twice
    else {
      const shape = values.shapes[name] ?? [2];
      const rank = draw.chance(0.5) ? shape.length : draw.int(0, 5);
      // kind 4: zero-size axes anywhere
      replaced = { name, value: { shape: Array.from({ length: rank }, (_, i) => (kind === 4 && draw.chance(0.5) ? 0 : draw.chance(0.5) && i < shape.length ? shape[i]! : draw.int(1, 5))) } };
    }
    notes.push(`input ${name} = ${describeValue(replaced.value)}`);
  }
  const note = notes.join(', ') || 'unmutated';
  const made: Tensor[] = [];
  const inputs: Tensor[] = [];
  const t: Record<string, Tensor | undefined> = {};
  const plain: Record<string, number[]> = {};
  const f64Inputs: Record<string, F64 | undefined> = { ...values.f64 };
  /** What each tensor argument held when passed (the call must leave it so, unless it returns it). */
  const passed: [string, Tensor, Float32Array][] = [];
  const upload = (name: string, data: Float32Array, shape: readonly number[], on: string | undefined) => {
    const tensor = hc.tensor(data, shape as number[], { backend: on });
    inputs.push(tensor);
    passed.push([name, tensor, Float32Array.from(data)]);
    return tensor;
  };
  let alias: { name: string; of: string } | undefined;
  for (const name of spec.inputs) {
    if (replaced?.name === name) {
      const v = replaced.value;
      if (isPlain(name)) {
        plain[name] = v as number[];
        // the reference reads the same plain values (anything not array-like is refused by core)
        if (Array.isArray(v) || ArrayBuffer.isView(v)) f64Inputs[name] = { shape: [(v as ArrayLike<unknown>).length], data: Float64Array.from(v as ArrayLike<number>, Number) };
        else delete f64Inputs[name];
      } else if (v === 'disposed') {
        const gone = hc.tensor(values.f32[name] ?? new Float32Array(1), values.shapes[name] ?? [1], { backend });
        gone.dispose();
        t[name] = gone;
      } else if (v === 'other-backend') {
        t[name] = upload(name, values.f32[name] ?? new Float32Array(1), values.shapes[name] ?? [1], otherBackend);
      } else if (v && typeof v === 'object' && 'alias' in (v as object)) {
        alias = { name, of: (v as { alias: string }).alias };
      } else if (v && typeof v === 'object' && 'shape' in (v as object)) {
        const shape = (v as { shape: number[] }).shape;
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float32Array.from({ length: n }, () => draw.next() * 2 - 1);
        t[name] = upload(name, data, shape, backend);
        f64Inputs[name] = { shape: [...shape], data: Float64Array.from(data) };
      } else {
        t[name] = v as Tensor;
        // a number operand is valid for elementwise ops: the reference sees it as a scalar
        if (typeof v === 'number' && NUMBER_OPERAND_OPS.has(c.op)) f64Inputs[name] = { shape: [], data: Float64Array.of(Math.fround(v)) }; // a float32 scalar, as PyTorch
        // an absent optional input (null, and the specs' falsy checks): absent for the reference too
        else if (!v) delete f64Inputs[name];
        // another number (frn's eps as an attribute): that scalar for the reference too
        else if (typeof v === 'number') f64Inputs[name] = { shape: [], data: Float64Array.of(v) };
      }
      continue;
    }
    if (!values.f32[name]) continue;
    if (isPlain(name)) plain[name] = Array.from(values.f32[name]!);
    else t[name] = upload(name, values.f32[name]!, values.shapes[name]!, backend);
  }
  if (alias) {
    t[alias.name] = t[alias.of];
    f64Inputs[alias.name] = f64Inputs[alias.of];
  }
  const argumentsUnchanged = watch({ options: attrs, ...Object.fromEntries(Object.entries(plain).map(([k, v]) => [`${k} array`, v])) });
  let outs: Tensor[] = [];
  return {
    api: c.op,
    what: `${c.id}, ${note}`,
    inputs,
    run: () => {
      outs = spec.run(hc, t, attrs as Record<string, any>, plain);
      made.push(...outs);
      return {
        made,
        check: async () => {
          // accepted: the reference on exactly these values and attributes must agree
          if (outs.some((o) => o.size > 200_000)) return undefined;
          let refs;
          try {
            // null options mean "not given" in core (PyTorch's None: stride=None is kernelSize)
            const given = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== null && v !== undefined));
            refs = spec.reference(f64Inputs, given);
          } catch (err) {
            return `accepted (${note}) what the float64 reference refuses: ${err instanceof Error ? err.message : String(err)}`;
          }
          // read without a copy where the backend lends its storage (every other read here copies)
          const got = await Promise.all(outs.map(async (o) => ({ data: await o.data({ copy: false }), shape: o.shape })));
          const denormalAttr = Object.values(attrs).some((v) => typeof v === 'number' && v !== 0 && Math.abs(v) < FLOAT32_MIN_NORMAL);
          const problem = compareWithReference(got, refs as never, nonFiniteInput, atFloat32Limits || denormalAttr);
          return problem && `${note}: ${problem}`;
        },
      };
    },
    // batch norm's running statistics come back as outputs: updated in place by design (compared with the reference)
    unchanged: async () => argumentsUnchanged() ?? (await tensorsUnchanged(passed.filter(([, tensor]) => !outs.includes(tensor)))),
  };
}

// ------------------------------------------------------------------ direct probes

/** Builds one call (setup may await: an async backend reads back only asynchronously). */
type Probe = (draw: Draw, backend: string) => Attempt | Promise<Attempt>;

const smallShape = (draw: Draw, rank = draw.int(0, 4)) => Array.from({ length: rank }, () => draw.int(1, 4));
const hostileShape = (draw: Draw): unknown =>
  draw.chance(0.5) ? draw.pick(HOSTILE_SCALARS) : draw.pick([[-1], [2.5], [NaN], [2 ** 31, 2], [65536, 65536], [3, 'a'], [0, 3], [2 ** 53, 2 ** 53], [1, 2, 3, 4, 5, 6, 7]]);
const maybeHostile = <T>(draw: Draw, valid: T, p = 0.5): unknown => (draw.chance(p) ? valid : draw.pick(HOSTILE_SCALARS));
const arg2 = (d: Draw) => [d.pick(HOSTILE_SCALARS), d.pick(HOSTILE_SCALARS)];
const randomTensor = (draw: Draw, backend: string, shape = smallShape(draw)) =>
  hc.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => draw.next() * 2 - 1), shape, { backend });

type Check = (out: unknown) => string | undefined | Promise<string | undefined>;

/**
 * One direct call. `watched`: the caller's arrays and option objects passed to it, which must read
 * the same afterwards; the `inputs` tensors must hold the same values too (unless `mutates` says
 * the API changes them).
 */
function simple(api: string, inputs: Tensor[], call: () => unknown, check?: Check, cleanup?: () => void, watched: Record<string, unknown> = {}, mutates = false): Attempt {
  const argumentsUnchanged = watch(watched);
  const passed = inputs.filter((t) => !t.isDisposed).map((t, i) => [`tensor ${i}`, t, undefined as unknown as Float32Array] as [string, Tensor, Float32Array]);
  let snapshot: Promise<void> | undefined;
  const snap = () => (snapshot ??= Promise.all(passed.map(async (p) => void (p[2] = await p[1].data()))).then(() => undefined));
  return {
    api,
    inputs,
    cleanup,
    unchanged: async () => argumentsUnchanged() ?? (mutates ? undefined : await tensorsUnchanged(passed)),
    run: async () => {
      if (!mutates) await snap();
      const out = await call();
      const made: Tensor[] = [];
      const collect = (v: unknown) => {
        if (v instanceof hc.Tensor) made.push(v);
        else if (Array.isArray(v)) v.forEach(collect);
        else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(collect);
      };
      collect(out);
      return { made, check: check && (() => check(out)) };
    },
  };
}

function filledCheck(expected: number): Check {
  return async (out) => {
    const values = await (out as Tensor).data();
    const want = Math.fround(expected);
    for (const v of values) if (!(Object.is(v, want) || (Number.isNaN(v) && Number.isNaN(want)) || v === want)) return `value ${v}, expected ${want}`;
    return undefined;
  };
}

const LAYERS: readonly [string, (draw: Draw) => unknown[], number[]][] = [
  ['Conv2d', (d) => [maybeHostile(d, 2, 0.7), maybeHostile(d, 3, 0.7), maybeHostile(d, 3, 0.7), d.chance(0.6) ? { padding: d.pick([1, 'same', 'valid', [1, 0, 1, 0], -1, 'full', 2 ** 20]) } : d.pick(HOSTILE_SCALARS)], [2, 2, 5, 5]],
  ['Conv1d', (d) => [maybeHostile(d, 2, 0.7), maybeHostile(d, 3, 0.7), maybeHostile(d, 3, 0.7), d.chance(0.6) ? { padding: d.pick([1, 'same', [1, 2], -1, [1, 2, 3]]) } : d.pick(HOSTILE_SCALARS)], [2, 2, 6]],
  ['WSConv2d', (d) => [2, maybeHostile(d, 3, 0.7), 1, d.chance(0.5) ? { eps: d.pick(HOSTILE_SCALARS) } : d.pick(HOSTILE_SCALARS)], [1, 2, 3, 3]],
  ['Linear', (d) => [maybeHostile(d, 4, 0.6), maybeHostile(d, 3, 0.6), d.chance(0.6) ? { bias: d.pick([true, false, 1, 'no']) } : d.pick(HOSTILE_SCALARS)], [2, 4]],
  ['MaxPool2d', (d) => [d.chance(0.5) ? d.pick(HOSTILE_SCALARS) : { kernelSize: maybeHostile(d, 2), padding: d.pick([0, 1, 'same', [0, 1, 0, 1], 3, -1]) }], [1, 2, 4, 4]],
  ['AvgPool2d', (d) => [d.chance(0.5) ? d.pick(HOSTILE_SCALARS) : { kernelSize: maybeHostile(d, 2), countIncludePad: d.pick([true, false, 1]), padding: d.pick([0, 1, 'same', [1, 0, 1, 0]]) }], [1, 2, 4, 4]],
  ['MaxPool1d', (d) => [d.chance(0.5) ? d.pick(HOSTILE_SCALARS) : { kernelSize: maybeHostile(d, 2), padding: d.pick([0, 1, 'same', [0, 1], 2]) }], [1, 2, 5]],
  ['AvgPool1d', (d) => [d.chance(0.5) ? d.pick(HOSTILE_SCALARS) : { kernelSize: maybeHostile(d, 3), padding: d.pick([0, 1, 'same', [1, 0]]) }], [1, 2, 5]],
  ['GlobalAvgPool2d', () => [], [1, 2, 3, 3]],
  ['ReLU', () => [], [2, 3]],
  ['Flatten', (d) => [maybeHostile(d, 1), maybeHostile(d, -1)], [2, 3, 2]],
  ['BatchNorm2d', (d) => [maybeHostile(d, 2, 0.7), d.chance(0.5) ? { momentum: d.pick(HOSTILE_SCALARS), eps: maybeHostile(d, 1e-5) } : d.pick(HOSTILE_SCALARS)], [2, 2, 2, 2]],
  ['BatchRenorm2d', (d) => [2, d.chance(0.5) ? { rMax: d.pick(HOSTILE_SCALARS), dMax: maybeHostile(d, 5) } : d.pick(HOSTILE_SCALARS)], [2, 2, 2, 2]],
  ['LayerNorm', (d) => [maybeHostile(d, [2, 2], 0.6), d.chance(0.5) ? { eps: d.pick(HOSTILE_SCALARS) } : d.pick(HOSTILE_SCALARS)], [2, 3, 2, 2]],
  ['InstanceNorm2d', (d) => [maybeHostile(d, 2, 0.6), d.chance(0.5) ? { affine: d.pick(HOSTILE_SCALARS) } : undefined], [2, 2, 3, 3]],
  ['GroupNorm', (d) => [maybeHostile(d, 2, 0.6), maybeHostile(d, 4, 0.6)], [2, 4, 2, 2]],
  ['FilterResponseNorm2d', (d) => [maybeHostile(d, 2, 0.6), d.chance(0.5) ? { eps: d.pick(HOSTILE_SCALARS), learnableEps: d.pick([true, false, 'x']) } : undefined], [2, 2, 3, 3]],
  ['BatchNorm1d', (d) => [maybeHostile(d, 3, 0.7), d.chance(0.5) ? { momentum: d.pick(HOSTILE_SCALARS) } : undefined], [4, 3]],
  ['Sigmoid', () => [], [2, 3]],
  ['Tanh', () => [], [2, 3]],
  ['Dropout', (d) => [maybeHostile(d, 0.3, 0.6), d.chance(0.5) ? { seed: d.pick(HOSTILE_SCALARS) } : undefined], [3, 4]],
  ['Sequential', (d) => (d.chance(0.5) ? [new hc.nn.ReLU(), d.pick(HOSTILE_SCALARS)] : [new hc.nn.ReLU()]), [2, 2]],
  ['Residual', (d) => [d.chance(0.5) ? new hc.nn.ReLU() : d.pick(HOSTILE_SCALARS), d.chance(0.5) ? { alpha: d.pick(HOSTILE_SCALARS) } : { beta: d.pick(HOSTILE_SCALARS) }], [2, 2]],
];

const PROBES: readonly [string, Probe][] = [
  ['zeros', (d) => {
    const shape = d.chance(0.6) ? smallShape(d) : hostileShape(d);
    const options = d.chance(0.7) ? undefined : { requiresGrad: d.pick(HOSTILE_SCALARS) };
    return simple('zeros', [], () => hc.zeros(shape as number[], options as never), filledCheck(0), undefined, { shape, options });
  }],
  ['ones', (d) => {
    const shape = d.chance(0.6) ? smallShape(d) : hostileShape(d);
    return simple('ones', [], () => hc.ones(shape as number[]), filledCheck(1), undefined, { shape });
  }],
  ['full', (d) => {
    const value = d.chance(0.5) ? d.pick([2.5, -3, NaN, Infinity, 1e30]) : d.pick(HOSTILE_SCALARS);
    return simple('full', [], () => hc.full(smallShape(d), value as number), typeof value === 'number' ? filledCheck(value) : () => `accepted the fill value ${describeValue(value)}`);
  }],
  ['scalar', (d) => {
    const value = d.pick(HOSTILE_SCALARS);
    return simple('scalar', [], () => hc.scalar(value as number), typeof value === 'number' ? filledCheck(value) : () => `accepted the value ${describeValue(value)}`);
  }],
  ['tensor', (d) => {
    const data = d.pick([[1, 2, 3], [[1, 2], [3]], ['a'], [NaN], Float32Array.of(1, -0, NaN, 4), Float64Array.of(1e-45, 3e39), 'abc', null, 5, { length: -1 }, { length: 2 ** 40 }, [[1], [2]], HOLEY, Object.freeze([1, 2]), new Proxy([1, 2, 3], {}), [1n, 2n], [{ valueOf: () => 1 }], new Array(3), [[]], []]);
    const shape = d.chance(0.5) ? undefined : hostileShape(d);
    const options = d.chance(0.5) ? undefined : d.pick([...HOSTILE_SCALARS, { copy: false }, { copy: 'no' }, { requiresGrad: true }]);
    return simple('tensor', [], () => hc.tensor(data as never, shape as number[], options as never), undefined, undefined, { data, shape, options });
  }],
  ['randn', (d) => {
    const shape = d.chance(0.6) ? smallShape(d) : hostileShape(d);
    const options = d.chance(0.5) ? undefined : { seed: d.pick(HOSTILE_SCALARS) };
    return simple('randn', [], () => hc.randn(shape as number[], options as never), undefined, undefined, { shape, options });
  }],
  ['rand', (d) => {
    const shape = d.chance(0.6) ? smallShape(d) : hostileShape(d);
    const options = d.chance(0.5) ? undefined : { low: d.pick(HOSTILE_SCALARS) };
    return simple('rand', [], () => hc.rand(shape as number[], options as never), undefined, undefined, { shape, options });
  }],
  ['broadcastTo', (d, b) => {
    const x = randomTensor(d, b, smallShape(d, d.int(0, 3)));
    const target = d.chance(0.5) ? smallShape(d, d.int(0, 4)) : hostileShape(d);
    return simple('broadcastTo', [x], () => hc.broadcastTo(x, target as number[]), (out) => {
      const y = out as Tensor;
      const xs = x.shape;
      const offset = y.rank - xs.length;
      if (offset < 0 || xs.some((s, i) => s !== 1 && s !== y.shape[offset + i])) return `broadcast ${describeValue(xs)} to ${describeValue(y.shape)}`;
      return undefined;
    }, undefined, { target });
  }],
  ['reshape', (d, b) => {
    const x = randomTensor(d, b, d.chance(0.2) ? [0, d.int(0, 3)] : smallShape(d));
    const shape = d.chance(0.4) ? d.pick([[-1], [-1, 0], [0, -1], [-1, -1], [-0], [x.size, 1], [1, -1, 1]]) : hostileShape(d);
    return simple('reshape', [x], () => hc.reshape(x, shape as number[]), (out) => ((out as Tensor).size === x.size ? undefined : `${describeValue(x.shape)} reshaped by ${describeValue(shape)} to ${describeValue((out as Tensor).shape)}`), undefined, { shape });
  }],
  ['sum/mean', (d, b) => {
    const x = randomTensor(d, b);
    const op = d.pick(['sum', 'mean'] as const);
    return simple(op, [x], () => hc[op](x, d.chance(0.5) ? d.int(-3, 3) : (d.pick(HOSTILE_SCALARS) as number), d.pick(HOSTILE_SCALARS) as boolean));
  }],
  ['elementwise', (d, b) => {
    const x = randomTensor(d, b);
    const op = d.pick(['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const);
    const other = d.chance(0.5) ? d.pick(HOSTILE_SCALARS) : 2;
    return simple(op, [x], () => hc[op](x, other as number));
  }],
  ['scope/noGrad/keep', (d) => {
    const which = d.int(0, 2);
    const arg = d.pick(HOSTILE_SCALARS);
    return simple(['scope', 'noGrad', 'keep'][which]!, [], () => (which === 0 ? hc.scope(arg as never) : which === 1 ? hc.noGrad(arg as never) : hc.keep(arg as never)));
  }],
  ['tensor methods', (d, b) => {
    const x = randomTensor(d, b);
    if (d.chance(0.2)) x.dispose();
    const which = d.int(0, 8);
    const other = () => (d.chance(0.5) ? d.pick(HOSTILE_SCALARS) : randomTensor(d, b, d.chance(0.5) ? [...x.shape] : smallShape(d)));
    const arg = which === 2 || which === 4 ? other() : d.pick(HOSTILE_SCALARS);
    const api = ['item', 'to', 'assign', 'requiresGrad', 'backward', 'dataSync', 'data', 'itemAsync', 'toAsync'][which]!;
    const made = arg instanceof hc.Tensor ? [arg] : [];
    return simple(`Tensor.${api}`, [x, ...made], () => {
      if (which === 0) return x.item();
      if (which === 1) return x.to(arg as never);
      if (which === 2) return x.assign(arg as never);
      if (which === 3) return ((x as { requiresGrad: unknown }).requiresGrad = arg);
      if (which === 4) return x.backward(arg as never);
      if (which === 5) return x.dataSync();
      if (which === 6) return x.data((d.chance(0.5) ? { copy: arg } : arg) as never); // options: an object with a boolean `copy`
      if (which === 7) return x.itemAsync();
      return x.toAsync(arg as never);
    }, undefined, undefined, {}, which === 2);
  }],
  ['autograd edges', async (d, b) => {
    // requiresGrad on results and leaves, backward twice or through a disposed/reassigned input, the
    // same tensor as both operands: gradients must equal the float64 derivative of what was computed
    const x = randomTensor(d, b, [2, 3]);
    const was = d.chance(0.7);
    const which = d.int(0, 5);
    const before = await x.data();
    return simple(`autograd/${['x*x', 'assign in use', 'backward twice', 'dispose input', 'requiresGrad on result', 'grad of non-leaf'][which]}`, [x], () => {
      x.requiresGrad = was;
      const y = hc.mul(x, x); // dy/dx = 2x (x passed twice)
      const loss = hc.sum(y);
      const out: unknown[] = [y, loss];
      try {
        if (which === 1) {
          const value = randomTensor(d, b, d.chance(0.8) ? [2, 3] : [3, 2]);
          out.push(value);
          x.assign(value); // autograd saved the old values: the gradient is still 2·(old x)
        }
        if (which === 3) x.dispose();
        if (which === 4) (y as { requiresGrad: unknown }).requiresGrad = d.pick([true, false, 1]);
        loss.backward();
        if (which === 2) loss.backward();
        if (which === 5) out.push(y.grad);
      } catch (err) {
        // the probe's own tensors (not the call under test's): freed before the leak check
        for (const t of out) if (t instanceof hc.Tensor) t.dispose();
        throw err;
      }
      return out;
    }, async () => {
      if (!was || x.isDisposed || !x.grad) return was && !x.isDisposed ? 'no gradient on a leaf that requires grad' : undefined;
      const g = await x.grad.data();
      for (let i = 0; i < g.length; i++) if (!(Math.abs(g[i]! - 2 * before[i]!) <= 1e-5 + 1e-5 * Math.abs(2 * before[i]!))) return `x.grad[${i}] = ${g[i]}, expected 2·x = ${2 * before[i]!}`;
      return undefined;
    }, undefined, {}, true); // x.grad goes with x
  }],
  ['shape helpers', (d) => {
    const args = Array.from({ length: 6 }, () => (d.chance(0.6) ? d.int(0, 6) : d.pick(HOSTILE_SCALARS)));
    const which = d.int(0, 1);
    return simple(which ? 'samePadding' : 'convOutputSize', [], () => (which ? hc.samePadding(...(args.slice(0, 4) as [number, number, number, number])) : hc.convOutputSize(...(args as [number, number, number, number, number, number]))), (out) => {
      const values = (Array.isArray(out) ? out : [out]) as number[];
      return values.every((v) => Number.isInteger(v) && v >= (which ? 0 : 1)) ? undefined : `returned ${describeValue(out)}`;
    });
  }],
  ['layers', (d, b) => {
    const [name, argsOf, inputShape] = d.pick(LAYERS);
    const args = argsOf(d);
    const shape = d.chance(0.8) ? inputShape : d.chance(0.5) ? inputShape.map((s, i) => (i >= 2 && d.chance(0.5) ? 0 : s)) : smallShape(d);
    const x = randomTensor(d, b, shape);
    let module: hc.nn.Module | undefined;
    // modules among the arguments (Sequential, Residual) are the caller's: compared by description only
    const watched = Object.fromEntries(args.map((a, i) => [`argument ${i}`, a instanceof hc.nn.Module ? 'module' : a]));
    return simple(`nn.${name}`, [x], () => {
      module = new (hc.nn as unknown as Record<string, new (...a: unknown[]) => hc.nn.Module>)[name]!(...args);
      return module.forward(x);
    }, undefined, () => module?.dispose(), watched);
  }],
  ['optimizers', (d, b) => {
    const p = randomTensor(d, b, [2, 3]);
    p.requiresGrad = true;
    p.grad = randomTensor(d, b, [2, 3]);
    const which = d.int(0, 2);
    const options = d.chance(0.5) ? { lr: d.pick(HOSTILE_SCALARS), momentum: maybeHostile(d, 0.9) } : d.pick(HOSTILE_SCALARS);
    if (d.chance(0.1)) p.grad.dispose(); // a disposed gradient
    let sgd: hc.optim.SGD | undefined;
    return simple(['SGD', 'adaptiveGradClip', 'clipGradNorm'][which]!, [p], () => {
      if (which === 0) {
        sgd = new hc.optim.SGD(d.chance(0.8) ? [p] : (d.pick(HOSTILE_SCALARS) as never), options as never);
        sgd.step();
        return undefined;
      }
      if (which === 1) return hc.optim.adaptiveGradClip(d.chance(0.8) ? [p] : (d.pick(HOSTILE_SCALARS) as never), d.chance(0.5) ? { clipping: d.pick(HOSTILE_SCALARS), eps: maybeHostile(d, 1e-3) } as never : (d.pick(HOSTILE_SCALARS) as never));
      return hc.optim.clipGradNorm(d.chance(0.8) ? [p] : (d.pick([[p, p], [p, null], [p, 3], HOLEY, 0]) as never), d.pick(HOSTILE_SCALARS) as number);
    }, undefined, () => sgd?.dispose(), { options }, true);
  }],
  ['pytorch ops', (d, b) => {
    const x = randomTensor(d, b, smallShape(d, d.int(1, 4)));
    const which = d.int(0, 5);
    const arg = d.chance(0.5) ? d.pick(HOSTILE_SCALARS) : d.int(-3, 3);
    const api = ['permute', 'transpose', 'concat', 'argmax', 'dropout', 'sigmoid'][which]!;
    const gone = hc.tensor([1], [1], { backend: b });
    gone.dispose();
    const permutation = d.chance(0.5) ? x.shape.map((_, i) => x.rank - 1 - i) : d.pick([[0, 0], [5], arg, [arg, 0], [-0], [-1, 0], HOLEY, Object.freeze([0])]);
    const parts = d.chance(0.5) ? [x, x] : d.pick([[], [x, 3], arg, [x, null], [x, gone], [gone], HOLEY, Object.freeze([x]), new Proxy([x, x], {}), [x, x.shape]]);
    return simple(api, [x], () => {
      if (which === 0) return hc.permute(x, permutation as number[]);
      if (which === 1) return hc.transpose(x, arg as number, d.int(-2, 2));
      if (which === 2) return hc.concat(parts as never, arg as number);
      if (which === 3) return hc.argmax(x, arg as number, d.pick([false, true, 1]) as boolean);
      if (which === 4) return hc.dropout(x, d.pick([{ p: arg }, { p: 0.5, training: arg }, { p: 0.2, seed: arg }, arg]) as never);
      return hc.sigmoid(d.chance(0.8) ? x : (arg as never));
    }, undefined, undefined, { permutation, parts });
  }],
  ['adam/schedulers', (d, b) => {
    const p = randomTensor(d, b, [2, 2]);
    p.requiresGrad = true;
    p.grad = randomTensor(d, b, [2, 2]);
    const which = d.int(0, 3);
    let opt: hc.optim.Adam | undefined;
    const api = ['Adam', 'AdamW', 'StepLR', 'CosineAnnealingLR'][which]!;
    return simple(api, [p], () => {
      opt = new (which === 1 ? hc.optim.AdamW : hc.optim.Adam)([p], (d.chance(0.5) ? { lr: maybeHostile(d, 0.01), betas: d.pick([[0.9, 0.99], [1, 0.9], [0.5], arg2(d)]), eps: maybeHostile(d, 1e-8) } : d.pick(HOSTILE_SCALARS)) as never);
      if (which === 2) new hc.optim.StepLR(opt, (d.chance(0.5) ? { stepSize: maybeHostile(d, 2), gamma: maybeHostile(d, 0.5) } : d.pick(HOSTILE_SCALARS)) as never).step();
      if (which === 3) new hc.optim.CosineAnnealingLR(opt, (d.chance(0.5) ? { tMax: maybeHostile(d, 4), etaMin: maybeHostile(d, 0) } : d.pick(HOSTILE_SCALARS)) as never).step();
      opt.step();
      if (d.chance(0.3)) opt.loadStateDict(d.pick(HOSTILE_SCALARS) as never);
      return undefined;
    }, undefined, () => opt?.dispose(), {}, true);
  }],
  ['summary', (d, b) => {
    let model: hc.nn.Sequential | undefined;
    const shape = d.chance(0.5) ? [d.int(1, 3), 3] : hostileShape(d);
    return simple('Module.summary', [], () => {
      model = new hc.nn.Sequential(new hc.nn.Linear(3, 2), new hc.nn.ReLU());
      return model.summary(shape as number[]);
    }, undefined, () => model?.dispose());
  }],
  ['unary ops', (d, b) => {
    const x = randomTensor(d, b, smallShape(d, d.int(1, 3)));
    const op = d.pick(['neg', 'sqrt', 'abs', 'exp', 'log'] as const);
    const math: Record<typeof op, (v: number) => number> = { neg: (v) => -v, sqrt: Math.sqrt, abs: Math.abs, exp: Math.exp, log: Math.log };
    const arg = d.chance(0.8) ? x : d.pick(HOSTILE_SCALARS);
    return simple(op, [x], () => hc[op](arg as Tensor), async (out) => {
      const [xs, ys] = [await x.data(), await (out as Tensor).data()];
      for (let i = 0; i < xs.length; i++) {
        const want = math[op](xs[i]!);
        const got = ys[i]!;
        if (Number.isNaN(want) ? !Number.isNaN(got) : Math.abs(want) > FLOAT32_MAX ? got !== Math.sign(want) * Infinity : !(Math.abs(got - want) <= 1e-5 * Math.abs(want) + 1e-37)) return `${op}(${xs[i]}) = ${got}, expected ${want}`;
      }
      return undefined;
    });
  }],
  ['matMul/reverseSpatial/globalAvgPool1d', (d, b) => {
    const which = d.int(0, 2);
    const a = randomTensor(d, b, d.chance(0.7) ? [d.int(0, 3), d.int(1, 3)] : smallShape(d));
    const m = randomTensor(d, b, d.chance(0.7) ? [a.shape[1] ?? 1, d.int(1, 3)] : smallShape(d));
    const other = d.chance(0.8) ? m : d.pick(HOSTILE_SCALARS);
    return simple(['matMul', 'reverseSpatial', 'globalAvgPool1d'][which]!, [a, m], () => (which === 0 ? hc.matMul(a, other as Tensor) : which === 1 ? hc.reverseSpatial(d.chance(0.8) ? a : (other as Tensor)) : hc.globalAvgPool1d(d.chance(0.5) ? a : (other as Tensor))), async (out) => {
      if (which !== 0) return undefined;
      const [av, bv, yv] = [await a.data(), await m.data(), await (out as Tensor).data()];
      const [M, K] = a.shape as [number, number];
      const N = m.shape[1]!;
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let want = 0;
          let mag = 0;
          for (let k = 0; k < K; k++) (want += av[i * K + k]! * bv[k * N + j]!), (mag += Math.abs(av[i * K + k]! * bv[k * N + j]!));
          if (!(Math.abs(yv[i * N + j]! - want) <= 1e-5 * mag + 1e-4 * Math.abs(want) + 1e-30)) return `matMul[${i}, ${j}] = ${yv[i * N + j]}, expected ${want}`;
        }
      return undefined;
    });
  }],
  ['crossEntropy tensor labels', (d, b) => {
    // kernels index memory with the labels: core checks a labels tensor where the backend reads
    // synchronously (an invalid one is a HypercolumnError); where it cannot (WebGPU) it is documented
    // as unchecked, and the call must only not crash, hang or leak
    const [n, k] = [d.int(1, 4), d.int(1, 5)];
    const logits = randomTensor(d, b, [n, k]);
    const labelValues = Array.from({ length: n }, () => (d.chance(0.6) ? d.int(0, k - 1) : d.pick([-1, k, k + 1, 2.5, -0.5, NaN, Infinity, -Infinity, 2 ** 24, 2 ** 31, -(2 ** 31), 1e30, -0])));
    const labels = hc.tensor(labelValues, [n], { backend: b });
    return simple('crossEntropy', [logits, labels], () => hc.crossEntropy(logits, labels), async (out) => {
      const [z, y] = [await logits.data(), (await (out as Tensor).data())[0]!];
      const valid = labelValues.every((c) => Number.isInteger(c) && c >= 0 && c < k);
      const checkable = (() => {
        try {
          labels.dataSync();
          return true;
        } catch {
          return false; // no synchronous read here
        }
      })();
      if (!valid) return checkable ? `accepted labels ${describeValue(labelValues)} for K = ${k} (loss ${y})` : undefined;
      let want = 0;
      for (let i = 0; i < n; i++) {
        const row = Array.from(z.subarray(i * k, i * k + k));
        const top = Math.max(...row);
        want += top + Math.log(row.reduce((acc, v) => acc + Math.exp(v - top), 0)) - row[labelValues[i]!]!;
      }
      want /= n;
      return Math.abs(y - want) <= 1e-5 * (Math.abs(want) + 10) ? undefined : `loss ${y}, expected ${want}`;
    });
  }],
  ['backend registry', (d, b) => {
    // names that are not registered (Object.prototype's keys among them): rejected, and the current backend unchanged
    const name = d.pick(['nope', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', ...HOSTILE_SCALARS]);
    const current = hc.getBackend();
    const which = d.int(0, 2);
    const x = randomTensor(d, b, [2]);
    return simple(['setBackend', 'Tensor.to', 'zeros({backend})'][which]!, [x], async () => {
      if (which === 0) await hc.setBackend(name as string);
      else if (which === 1) return x.to(name as string);
      else return hc.zeros([2], { backend: name as string });
      return undefined;
    }, () => (hc.getBackend() === current ? undefined : `switched the backend to ${hc.getBackend()}`), undefined, { name });
  }],
  ['module state dicts', (d, b) => {
    let layer: hc.nn.Linear | undefined;
    const w = randomTensor(d, b, d.pick([[3, 2], [2, 3], [3], [0]]));
    const dict = d.chance(0.6) ? { weight: w, ...(d.chance(0.5) ? { bias: d.chance(0.7) ? w : d.pick(HOSTILE_SCALARS) } : {}) } : d.pick(HOSTILE_SCALARS);
    const options = d.chance(0.7) ? undefined : d.pick([{ strict: false }, { strict: 'no' }, ...HOSTILE_SCALARS]);
    return simple('Module.loadStateDict', [w], () => {
      layer = new hc.nn.Linear(2, 3);
      if (d.chance(0.3)) return hc.nn.saveStateDict(dict as never);
      layer.loadStateDict(dict as never, options as never);
      return undefined;
    }, undefined, () => layer?.dispose(), { dict, options });
  }],
  ['state dict bytes', async (d, b) => {
    const w = randomTensor(d, b, [2, 3]);
    const bytes = await hc.nn.saveStateDictAsync({ 'layer.weight': w, 'layer.bias': w });
    const corrupt = bytes.slice(0, d.chance(0.3) ? d.int(0, bytes.length) : bytes.length);
    const flips = d.int(0, 2);
    for (let i = 0; i < flips && corrupt.length; i++) corrupt[d.int(0, corrupt.length - 1)] ^= 1 << d.int(0, 7);
    const untouched = corrupt.length === bytes.length && corrupt.every((v, i) => v === bytes[i]);
    return simple('loadStateDictBytes', [w], () => hc.nn.loadStateDictBytes(corrupt), untouched ? undefined : () => 'a corrupted state dict loaded without an error');
  }],
];

// ------------------------------------------------------------------ the run

/** Runs the fuzzer on `options.backend` (made current for the run and restored afterwards). */
export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const calls = options.calls ?? 2000;
  const budget = options.timeBudgetMs ?? 8000;
  const hangMs = options.hangMs ?? 10_000;
  let previous: string | undefined;
  try {
    previous = hc.getBackend();
  } catch {
    previous = undefined; // none chosen yet (nothing started on its own)
  }
  await hc.setBackend(options.backend);
  const cases = buildCases({ quick: true }).filter((c) => c.kind === 'forward' && !TABLE_SKIP.has(c.op) && OPS[c.op]!.referenceKind !== 'finite-difference');
  const counts: Record<FuzzOutcome, number> = { ok: 0, rejected: 0, 'other-error': 0, 'wrong-result': 0, leak: 0, hang: 0 };
  const byApi: FuzzReport['byApi'] = {};
  const findings: FuzzFinding[] = [];
  const start = performance.now();
  let done = 0;
  const warn = console.warn;
  console.warn = () => {}; // cpu-fallback notices are expected on partial backends
  try {
    for (let i = 0; i < calls; i++) {
      if (options.only !== undefined && i !== options.only) continue;
      if (options.only === undefined && performance.now() - start > budget) break;
      // each call draws from its own stream, so any call replays alone
      const draw = new Draw((options.seed * 1_000_003 + i) >>> 0);
      const before = hc.memory();
      const attempt = draw.chance(0.6) ? tableAttempt(draw, cases, options.backend, options.otherBackend) : await draw.pick(PROBES)[1](draw, options.backend);
      const { outcome, detail } = await classify(attempt, hangMs, before);
      if (outcome === 'hang') for (const t of attempt.inputs) t.dispose();
      counts[outcome]++;
      (byApi[attempt.api] ??= {})[outcome] = (byApi[attempt.api]![outcome] ?? 0) + 1;
      if (BAD_OUTCOMES.includes(outcome) && findings.length < 50) findings.push({ call: i, api: attempt.api, outcome, detail: attempt.what ? `${detail} [${attempt.what}]` : detail });
      done++;
      if (outcome === 'hang' && detail.startsWith('not settled')) break; // its work may still hold tensors and the queue

    }
  } finally {
    console.warn = warn;
    if (previous !== undefined) await hc.setBackend(previous);
  }
  return {
    seed: options.seed,
    backend: options.backend,
    calls: done,
    counts,
    byApi,
    findings,
    replay: `HC_FUZZ_SEED=${options.seed} (one call: fuzz({ backend: '${options.backend}', seed: ${options.seed}, only: <call> }))`,
  };
}
