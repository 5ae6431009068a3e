import type { Backend, BackendFactory } from './backend.js';
import { describe, HypercolumnError } from './errors.js';
import { COMPOSITES, type Composite } from './composites.js';
import { countLaunch, countRead } from './counters.js';
import { kernelOutputShapes } from './kernel_shapes.js';
import { KERNELS, type KernelAttrs, type KernelName, type TensorInfo, kernelNames } from './kernels.js';
import { type KernelResolution, resolutionTable, resolveKernel } from './resolution.js';
import { Storage, Tensor } from './tensor.js';
import { noteKernelLaunch } from './trace.js';

interface Registration {
  name: string;
  factory: BackendFactory;
  priority: number;
  instance?: Backend<any>;
  /** Why the factory failed, once tried. */
  reason?: string;
  pending?: Promise<Backend<any> | undefined>;
}

export interface BackendInfo {
  name: string;
  priority: number;
  available: boolean;
  reason?: string;
  /** Kernels the backend implements itself. */
  kernels: KernelName[];
  /** How every kernel runs there: native, composite (from its kernels), fallback (cpu) or missing. */
  resolution: Partial<Record<KernelName, KernelResolution>>;
  /** Threads its kernels use, as the backend reports them. */
  threads?: number;
  description?: string;
}

export interface MemoryInfo {
  /** Live (not disposed) tensors, all backends. */
  numTensors: number;
  /** Bytes of live storage, all backends. */
  numBytes: number;
  backends: Record<string, { tensors: number; bytes: number; backendBytes?: number }>;
}

const registry = new Map<string, Registration>();
let current: Registration | undefined;
/** True while `current` was picked by an op rather than by `setBackend`/`ready` (ready() may still switch). */
let autoPicked = false;
let warnedAutoPick = false;
let gradEnabled = true;
const warnedFallbacks = new Set<string>();
/** Open `scope()` frames, innermost last: tensors created while a frame is open belong to it. */
const scopes: Set<Tensor>[] = [];
const liveTensors = new Set<Tensor>();
const liveStorage = new Set<Storage>();

export const DEFAULT_PRIORITIES = { native: 4, webgpu: 3, wasm: 2, cpu: 1 } as const;

/** Registers (or replaces) a backend. The factory runs lazily: importing a backend never throws. */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  const op = 'registerBackend';
  if (typeof name !== 'string' || name === '') throw new HypercolumnError(`${op}: name expected a non-empty string, got ${describe(name)}`, op, 'name');
  if (typeof factory !== 'function') throw new HypercolumnError(`${op}: factory expected a function that creates the backend, got ${describe(factory)}`, op, 'factory');
  if (typeof priority !== 'number' || !Number.isFinite(priority)) throw new HypercolumnError(`${op}: priority expected a finite number, got ${describe(priority)}`, op, 'priority');
  const old = registry.get(name);
  if (old?.instance) void old.instance.dispose?.();
  registry.set(name, { name, factory, priority });
  if (current?.name === name) current = undefined;
}

export function removeBackend(name: string): void {
  const reg = registry.get(name);
  if (!reg) return;
  void reg.instance?.dispose?.();
  registry.delete(name);
  if (current === reg) current = undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reasons of lost backends (device loss, a dead worker): their tensors raise HypercolumnError. */
const lostBackends = new WeakMap<Backend<any>, string>();

/** Why `backend` was lost, or undefined while it works. */
export function lostReason(backend: Backend<any>): string | undefined {
  return lostBackends.get(backend);
}

/** Records a started backend: its own priority overrides the registration, and its loss is watched. */
function started(reg: Registration, backend: Backend<any>): Backend<any> {
  reg.instance = backend;
  if (typeof backend.priority === 'number' && Number.isFinite(backend.priority)) reg.priority = backend.priority;
  backend.lost?.then(
    (reason) => markLost(reg, backend, String(reason)),
    () => undefined,
  );
  return backend;
}

function markLost(reg: Registration, backend: Backend<any>, reason: string): void {
  lostBackends.set(backend, reason);
  if (reg.instance !== backend) return;
  reg.instance = undefined;
  reg.reason = `lost: ${reason}`;
  if (current === reg) current = undefined;
}

/** Runs the factory once; records the instance or the reason it failed. */
async function initialize(reg: Registration): Promise<Backend<any> | undefined> {
  if (reg.instance || reg.reason !== undefined) return reg.instance;
  reg.pending ??= (async () => {
    try {
      started(reg, await reg.factory());
    } catch (err) {
      reg.reason = errorText(err);
    }
    return reg.instance;
  })();
  return reg.pending;
}

/** Synchronous initialisation for factories that return a backend directly (cpu, wasm, native). */
function initializeSync(reg: Registration): Backend<any> | undefined {
  if (reg.instance || reg.reason !== undefined) return reg.instance;
  if (reg.pending) return undefined;
  try {
    const result = reg.factory();
    if (result instanceof Promise) {
      reg.pending = result.then(
        (b) => started(reg, b),
        (err) => {
          reg.reason = errorText(err);
          return undefined;
        },
      );
      return undefined;
    }
    started(reg, result);
  } catch (err) {
    reg.reason = errorText(err);
  }
  return reg.instance;
}

/** Started backends (lost ones excluded). */
function startedBackends(): Backend<any>[] {
  return [...registry.values()].flatMap((r) => (r.instance ? [r.instance] : []));
}

/** Submits queued work on `backend` (before a read, at the end of backward and optimizer steps). */
export function flushBackend(backend: Backend<any>): void {
  if (!lostBackends.has(backend)) backend.flush?.();
}

/** Submits queued work on every started backend. */
export function flushAll(): void {
  for (const b of startedBackends()) flushBackend(b);
}

/**
 * Resolves when every queued kernel on every started backend has completed (after a flush).
 * Timing code awaits it; reads (`data()`, `itemAsync()`) already wait for their own tensor.
 */
export async function sync(): Promise<void> {
  const backends = startedBackends();
  for (const b of backends) flushBackend(b);
  await Promise.all(backends.map((b) => b.sync?.()));
}

function byPriority(): Registration[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority);
}

/** Every registered backend, initialised, with availability, reason and implemented kernels. */
export async function listBackends(): Promise<BackendInfo[]> {
  const regs = byPriority();
  await Promise.all(regs.map(initialize));
  return regs.map((r) => ({
    name: r.name,
    priority: r.priority,
    available: r.instance !== undefined,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    kernels: r.instance ? kernelNames.filter((k) => r.instance!.kernels[k] !== undefined) : [],
    resolution: r.instance ? resolutionTable(r.instance, cpuBackend()) : {},
    ...(r.instance?.threads !== undefined ? { threads: r.instance.threads } : {}),
    ...(r.instance?.description !== undefined ? { description: r.instance.description } : {}),
  }));
}

/** Makes `name` the backend for new tensors. Rejects with the reason if it cannot start. */
export async function setBackend(name: string): Promise<void> {
  if (typeof name !== 'string') throw new HypercolumnError(`setBackend: backend expected a backend name (${describeNames()}), got ${describe(name)}`, 'setBackend', 'backend');
  const reg = registry.get(name);
  if (!reg) {
    throw new HypercolumnError(
      `setBackend: backend expected one of ${describeNames()}, got ${JSON.stringify(name)}` +
        ` (import its package, e.g. '@hypercolumn/backend-${name}', to register it)`,
      'setBackend',
      'backend',
    );
  }
  const backend = await initialize(reg);
  if (!backend) {
    throw new HypercolumnError(`setBackend: backend ${JSON.stringify(name)} is not available: ${reg.reason}`, 'setBackend', 'backend');
  }
  current = reg;
  autoPicked = false;
}

/**
 * Starts the registered backends in priority order and picks the highest-priority one available
 * (priorities as the started backends report them: one may demote itself), returning its name. It
 * stops early once no remaining registration outranks the best found, so a slow low-priority factory
 * does not hold it up. Call it first (`await hc.ready()`, step 0): an op run before it picks the best
 * backend that starts synchronously, and tensors made then stay there. A backend chosen with
 * `setBackend` is kept.
 */
export async function ready(): Promise<string> {
  if (current?.instance && !autoPicked) return current.name;
  let best: Registration | undefined;
  for (const reg of byPriority()) {
    if (best && reg.priority <= best.priority) break;
    if ((await initialize(reg)) && (!best || reg.priority > best.priority)) best = reg;
  }
  if (!best) {
    throw new HypercolumnError(`ready: no backend is available (registered: ${describeNames()}); import '@hypercolumn/backend-cpu'`, 'ready', 'backend');
  }
  current = best;
  autoPicked = false;
  return best.name;
}

function describeNames(): string {
  return registry.size ? [...registry.keys()].map((n) => JSON.stringify(n)).join(', ') : 'none registered';
}

/** Name of the backend new tensors go to. */
export function getBackend(): string {
  return currentBackend().name;
}

/**
 * The current backend; if none was chosen, the best one that starts synchronously (kept until
 * `ready()` or `setBackend`). Warns once when a higher-priority backend is still starting then.
 */
export function currentBackend(): Backend<any> {
  if (current?.instance) return current.instance;
  const starting: string[] = [];
  for (const reg of byPriority()) {
    if (initializeSync(reg)) {
      current = reg;
      autoPicked = true;
      if (starting.length && !warnedAutoPick) {
        warnedAutoPick = true;
        console.warn(
          `hypercolumn: an op ran before \`await hc.ready()\` and picked "${reg.name}" while ${starting.map((n) => `"${n}"`).join(', ')} (higher priority) ${starting.length > 1 ? 'are' : 'is'} still starting; await hc.ready() first to use the best backend`,
        );
      }
      return reg.instance!;
    }
    if (reg.pending && reg.reason === undefined) starting.push(reg.name);
  }
  throw new HypercolumnError(
    `no backend is available (registered: ${describeNames()}); import '@hypercolumn/backend-cpu' or await hc.ready()`,
    'backend',
    'backend',
  );
}

/** A started backend by name (for `tensor.to(name)` and explicit placement). */
export function backendByName(name: string, op = 'to'): Backend<any> {
  if (typeof name !== 'string') throw new HypercolumnError(`${op}: backend expected a backend name (${describeNames()}), got ${describe(name)}`, op, 'backend');
  const reg = registry.get(name);
  const backend = reg && initializeSync(reg);
  if (!backend) {
    const why = !reg ? 'it is not registered' : reg.reason ?? 'it has not started yet (await hc.setBackend first)';
    throw new HypercolumnError(`${op}: backend expected an available backend (${describeNames()}), got ${JSON.stringify(name)}: ${why}`, op, 'backend');
  }
  return backend;
}

// ---------------------------------------------------------------- storage and tensor tracking

export function trackStorage(storage: Storage): void {
  liveStorage.add(storage);
}
export function untrackStorage(storage: Storage): void {
  liveStorage.delete(storage);
}

export function trackTensor(t: Tensor): void {
  liveTensors.add(t);
  scopes[scopes.length - 1]?.add(t);
  createdInOp?.add(t);
}

export function untrackTensor(t: Tensor): void {
  liveTensors.delete(t);
  for (const s of scopes) s.delete(t);
  createdInOp?.delete(t);
}

/** Tensors created since the outermost public op began (see `publicOp` in guard.ts); undefined outside. */
let createdInOp: Set<Tensor> | undefined;
/** Starts collecting created tensors; returns the previous collector (restore it with `endOpFrame`). */
export function beginOpFrame(): Set<Tensor> | undefined {
  const outer = createdInOp;
  createdInOp ??= new Set();
  return outer;
}
/** Stops collecting (when `outer` is undefined) and returns what the frame collected. */
export function endOpFrame(outer: Set<Tensor> | undefined): Set<Tensor> {
  const frame = createdInOp ?? new Set<Tensor>();
  createdInOp = outer;
  return frame;
}

/** Removes `t` from every open scope, so `scope()` will not dispose it. */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor)) throw new HypercolumnError(`keep: tensor expected a Tensor, got ${describe(t)}`, 'keep', 'tensor');
  for (const s of scopes) s.delete(t);
  return t;
}

type Returned = Tensor | Tensor[] | Record<string, unknown> | unknown;

function collectTensors(value: Returned, out: Set<Tensor>): void {
  if (value instanceof Tensor) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out);
  else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out);
  }
}

function closeScope(frame: Set<Tensor>, result: unknown): void {
  scopes.splice(scopes.lastIndexOf(frame), 1);
  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  const parent = scopes[scopes.length - 1];
  for (const t of frame) {
    if (returned.has(t)) parent?.add(t);
    else t.dispose();
  }
}

/** True for an async function (its frame could not follow an `await`). */
function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor?.name === 'AsyncFunction';
}

function asyncNotAllowed(op: string, what: string): HypercolumnError {
  return new HypercolumnError(
    `${op}: fn expected a synchronous function, got ${what} (its frame cannot follow an await: run the synchronous part in ${op}, then await outside it)`,
    op,
    'fn',
  );
}

function checkSyncFunction(op: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new HypercolumnError(`${op}: fn expected a function, got ${fn === null ? 'null' : typeof fn}`, op, 'fn');
  if (isAsyncFunction(fn)) throw asyncNotAllowed(op, 'an async function');
}

const isThenable = (v: unknown): boolean => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as { then?: unknown }).then === 'function';

/**
 * Runs `fn` and disposes every tensor created inside it that it does not return (returned tensors
 * move to the enclosing scope). `fn` must be synchronous: an async function, or one returning a
 * promise, is a HypercolumnError (as in `tf.tidy`), since two such frames would interleave.
 */
export function scope<T>(fn: () => T): T {
  checkSyncFunction('scope', fn);
  const frame = new Set<Tensor>();
  scopes.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    closeScope(frame, undefined);
    throw err;
  }
  if (isThenable(result)) {
    closeScope(frame, undefined);
    throw asyncNotAllowed('scope', 'a function returning a promise');
  }
  closeScope(frame, result);
  return result;
}

/** Live tensors and bytes per backend. */
export function memory(): MemoryInfo {
  const backends: MemoryInfo['backends'] = {};
  const entry = (name: string) => (backends[name] ??= { tensors: 0, bytes: 0 });
  for (const t of liveTensors) entry(t.backend).tensors++;
  let numBytes = 0;
  for (const s of liveStorage) {
    entry(s.backend.name).bytes += s.bytes;
    numBytes += s.bytes;
  }
  for (const reg of registry.values()) {
    const own = reg.instance?.memory?.();
    if (own) entry(reg.name).backendBytes = own.bytes;
  }
  return { numTensors: liveTensors.size, numBytes, backends };
}

// ---------------------------------------------------------------- gradient mode

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording the autograd graph (evaluation, optimizer steps). `fn` must be
 * synchronous: gradients off across an `await` would switch them off for unrelated code.
 */
export function noGrad<T>(fn: () => T): T {
  checkSyncFunction('noGrad', fn);
  const before = gradEnabled;
  gradEnabled = false;
  let result: T;
  try {
    result = fn();
  } finally {
    gradEnabled = before;
  }
  if (isThenable(result)) throw asyncNotAllowed('noGrad', 'a function returning a promise');
  return result;
}

// ---------------------------------------------------------------- running kernels

type TensorInputs = Readonly<Record<string, Tensor | undefined>>;

/** Where a kernel without inputs (`fill`) runs and what shape it makes. */
export interface Placement {
  backend?: Backend<any>;
  shape?: readonly number[];
}

/** The registered cpu backend, if it starts (the fallback for backends that read synchronously). */
function cpuBackend(): Backend<any> | undefined {
  const reg = registry.get('cpu');
  return reg && initializeSync(reg);
}

/** How kernel `name` runs on `backend`: native, composite, fallback (cpu) or missing. */
export function kernelResolution(backend: Backend<any>, name: KernelName): KernelResolution {
  return resolveKernel(backend, name, cpuBackend());
}

/**
 * Runs kernel `name` on the backend of its inputs and wraps the outputs as new tensors. Core
 * computes every output shape (`kernel_shapes.ts`) and hands it to the kernel; zero-element
 * outputs are made here and never reach a backend. A kernel the backend lacks runs as a
 * composition of its other kernels, else on cpu with copies (backends with `readSync` only).
 */
export function runKernel<K extends KernelName>(name: K, inputs: TensorInputs, attrs: KernelAttrs<K>, placement: Placement = {}): Tensor[] {
  const present = Object.entries(inputs).filter((e): e is [string, Tensor] => e[1] !== undefined);
  const backend = present.length ? present[0]![1].storage.backend : placement.backend ?? currentBackend();
  for (const [arg, t] of present) {
    t.assertUsable(name, arg);
    if (t.storage.backend !== backend) {
      throw new HypercolumnError(
        `${name}: ${arg} expected a tensor on backend "${backend.name}" like the other inputs, got one on "${t.backend}" (move it with tensor.to("${backend.name}"))`,
        name,
        arg,
      );
    }
  }
  const inputShapes: Record<string, readonly number[]> = {};
  for (const [arg, t] of present) inputShapes[arg] = t.shape;
  const shapes = name === 'fill' ? [placement.shape ?? []] : kernelOutputShapes(name, inputShapes, attrs);
  if (shapes.every((s) => sizeOf(s) === 0)) return shapes.map((s) => Tensor.fromStorage(Storage.empty(backend), s));
  if (present.some(([, t]) => t.size === 0)) return emptyInputOutputs(name, inputs, attrs, shapes, backend);

  const resolution = kernelResolution(backend, name);
  noteKernelLaunch(name, backend.name, resolution);
  if (resolution === 'native') return launch(backend, name, present, attrs, shapes, (o, shape) => wrap(backend, o, shape));
  if (resolution === 'composite') {
    const composite = COMPOSITES[name] as Composite<K>;
    return composite.run(inputs, attrs, shapes, backend).map((t, i) => conform(t, shapes[i]!));
  }
  if (resolution === 'fallback') return runOnCpu(backend, name, present, attrs, shapes);
  throw new HypercolumnError(
    `${name}: backend "${backend.name}" expected to implement this kernel, or the kernels its composition needs` +
      ` (${COMPOSITES[name]?.uses.join(', ') || 'none exists'}), or to read synchronously for the cpu fallback; got none of these`,
    name,
    'kernel',
  );
}

/** Calls the backend's kernel with output shapes and turns what it returns into results. */
function launch<R>(
  backend: Backend<any>,
  name: KernelName,
  present: [string, Tensor][],
  attrs: unknown,
  shapes: readonly (readonly number[])[],
  make: (handle: unknown, shape: readonly number[]) => R,
): R[] {
  const impl = backend.kernels[name] as (...args: unknown[]) => unknown;
  const infos: Record<string, TensorInfo> = {};
  for (const [arg, t] of present) infos[arg] = { data: t.storage.data, shape: t.shape };
  const outNames = KERNELS[name].outputs;
  const outShapes: Record<string, readonly number[]> = {};
  outNames.forEach((o, i) => (outShapes[o] = shapes[i]!));
  countLaunch(backend, name);
  const out = impl(infos, attrs, backend, outShapes);
  const handles = outNames.length === 1 ? [out] : (out as unknown[]);
  // a backend author's mistake should say what the contract wanted, not crash later
  if ((outNames.length > 1 && (!Array.isArray(out) || out.length !== outNames.length)) || handles.some((h) => h === undefined || h === null)) {
    const got = Array.isArray(out) ? `${out.length} value(s)` : out === undefined || out === null ? String(out) : 'one value';
    throw new HypercolumnError(
      `${name}: backend "${backend.name}" kernel expected to return ${outNames.length === 1 ? 'one fresh handle' : `a tuple of ${outNames.length} fresh handles (${outNames.join(', ')})`}, got ${got}`,
      name,
      'kernel',
    );
  }
  return handles.map((h, i) => make(h, shapes[i]!));
}

function wrap(backend: Backend<any>, handle: unknown, shape: readonly number[]): Tensor {
  return Tensor.fromStorage(new Storage(backend, handle, sizeOf(shape) * 4), shape);
}

/** A composition's output as a tensor of exactly the contract's shape (a view where only the shape differs). */
function conform(t: Tensor, shape: readonly number[]): Tensor {
  if (t.shape.length === shape.length && t.shape.every((s, i) => s === shape[i])) return t;
  const view = Tensor.view(t, shape);
  t.dispose();
  return view;
}

/** The cpu kernel on copies of the inputs; its outputs copied back (one warning per backend and kernel). */
function runOnCpu(backend: Backend<any>, name: KernelName, present: [string, Tensor][], attrs: unknown, shapes: readonly (readonly number[])[]): Tensor[] {
  const cpu = cpuBackend()!;
  const key = `${backend.name}:${name}`;
  if (!warnedFallbacks.has(key)) {
    warnedFallbacks.add(key);
    console.warn(`hypercolumn: backend "${backend.name}" has no ${name} kernel; running it on cpu`);
  }
  const copies: [string, Tensor][] = present.map(([arg, t]) => {
    countRead(backend);
    return [arg, Tensor.fromStorage(Storage.upload(cpu, backend.readSync!(t.storage.data, t.size), t.shape), t.shape)];
  });
  try {
    return launch(cpu, name, copies, attrs, shapes, (handle, shape) => {
      const size = sizeOf(shape);
      const values = cpu.readSync!(handle, size);
      cpu.free(handle);
      return Tensor.fromStorage(Storage.upload(backend, values, shape), shape);
    });
  } finally {
    for (const [, t] of copies) t.dispose();
  }
}

/**
 * Outputs of a kernel with a zero-element input, made without the backend's kernel: empty outputs
 * stay empty; a concat is its other input; a sum over nothing is 0 (a gradient, a matrix product, a conv's result before its
 * bias); a mean or statistic over nothing is NaN (as in PyTorch).
 */
function emptyInputOutputs(name: KernelName, inputs: TensorInputs, attrs: unknown, shapes: readonly (readonly number[])[], backend: Backend<any>): Tensor[] {
  // joining nothing to b is b (the output has b's shape exactly)
  if (name === 'concat') return [Tensor.view(inputs['a']!.size === 0 ? inputs['b']! : inputs['a']!, shapes[0]!)];
  const sumsToZero = KERNELS[name].kind === 'backward' || ['sum', 'matMul', 'linear', 'conv2d', 'conv2dFused'].includes(name);
  return shapes.map((shape) => {
    if (sizeOf(shape) === 0) return Tensor.fromStorage(Storage.empty(backend), shape);
    const [filled] = runKernel('fill', {}, { value: sumsToZero ? 0 : NaN }, { backend, shape });
    const bias = inputs['b'];
    if (!bias || bias.size === 0 || !['linear', 'conv2d', 'conv2dFused'].includes(name)) return filled!;
    // y = 0 + b, broadcast over every position (and through a fused relu)
    const b = Tensor.view(bias, name === 'linear' ? [1, bias.size] : [1, bias.size, ...shape.slice(2).map(() => 1)]);
    const [y] = runKernel('add', { a: filled, b }, { outShape: [...shape] });
    filled!.dispose();
    b.dispose();
    if ((attrs as { activation?: string }).activation !== 'relu') return y!;
    const [activated] = runKernel('relu', { x: y }, {});
    y!.dispose();
    return activated!;
  });
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export { KERNELS };
