import type { Backend, BackendFactory } from './backend.js';
import { describe, HypercolumnError } from './errors.js';
import { KERNELS, type KernelAttrs, type KernelName, type TensorInfo, kernelNames } from './kernels.js';
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
  /** Kernels the backend implements itself; the others fall back to cpu. */
  kernels: KernelName[];
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
let gradEnabled = true;
const warnedFallbacks = new Set<string>();
/** Open `scope()` frames, innermost last: tensors created while a frame is open belong to it. */
const scopes: Set<Tensor>[] = [];
const liveTensors = new Set<Tensor>();
const liveStorage = new Set<Storage>();

export const DEFAULT_PRIORITIES = { native: 4, webgpu: 3, wasm: 2, cpu: 1 } as const;

/** Registers (or replaces) a backend. The factory runs lazily: importing a backend never throws. */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
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

/** Runs the factory once; records the instance or the reason it failed. */
async function initialize(reg: Registration): Promise<Backend<any> | undefined> {
  if (reg.instance || reg.reason !== undefined) return reg.instance;
  reg.pending ??= (async () => {
    try {
      reg.instance = await reg.factory();
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
        (b) => (reg.instance = b),
        (err) => {
          reg.reason = errorText(err);
          return undefined;
        },
      );
      return undefined;
    }
    reg.instance = result;
  } catch (err) {
    reg.reason = errorText(err);
  }
  return reg.instance;
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
  }));
}

/** Makes `name` the backend for new tensors. Rejects with the reason if it cannot start. */
export async function setBackend(name: string): Promise<void> {
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
}

/** Picks the highest-priority backend that starts, and returns its name. */
export async function ready(): Promise<string> {
  if (current?.instance) return current.name;
  for (const reg of byPriority()) {
    if (await initialize(reg)) {
      current = reg;
      return reg.name;
    }
  }
  throw new HypercolumnError(`ready: no backend is available (registered: ${describeNames()}); import '@hypercolumn/backend-cpu'`, 'ready', 'backend');
}

function describeNames(): string {
  return registry.size ? [...registry.keys()].map((n) => JSON.stringify(n)).join(', ') : 'none registered';
}

/** Name of the backend new tensors go to. */
export function getBackend(): string {
  return currentBackend().name;
}

/** The current backend; if none was chosen, the best one that starts synchronously. */
export function currentBackend(): Backend<any> {
  if (current?.instance) return current.instance;
  for (const reg of byPriority()) {
    if (initializeSync(reg)) {
      current = reg;
      return reg.instance!;
    }
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

/**
 * Runs `fn` and disposes every tensor created inside it that it does not return (returned tensors
 * move to the enclosing scope). Works for async functions too; then it returns a promise.
 */
export function scope<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new HypercolumnError(`scope: fn expected a function, got ${describe(fn)}`, 'scope', 'fn');
  const frame = new Set<Tensor>();
  scopes.push(frame);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    closeScope(frame, undefined);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        closeScope(frame, value);
        return value;
      },
      (err) => {
        closeScope(frame, undefined);
        throw err;
      },
    ) as T;
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

/** Runs `fn` without recording the autograd graph (evaluation, optimizer steps). */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new HypercolumnError(`noGrad: fn expected a function, got ${describe(fn)}`, 'noGrad', 'fn');
  const before = gradEnabled;
  gradEnabled = false;
  try {
    const result = fn();
    if (result instanceof Promise) {
      return result.finally(() => {
        gradEnabled = before;
      }) as T;
    }
    gradEnabled = before;
    return result;
  } catch (err) {
    gradEnabled = before;
    throw err;
  }
}

// ---------------------------------------------------------------- running kernels

type TensorInputs = Record<string, Tensor | undefined>;

function cpuFallback(): Backend<any> {
  const reg = registry.get('cpu');
  const cpu = reg && initializeSync(reg);
  if (!cpu) throw new HypercolumnError(`the cpu backend is needed as fallback but is not registered; import '@hypercolumn/backend-cpu'`, 'backend', 'backend');
  return cpu;
}

/**
 * Runs kernel `name` on the backend of its inputs and wraps the outputs as new tensors. If that
 * backend lacks the kernel, the inputs are copied to cpu, the cpu kernel runs, and the outputs are
 * copied back (one warning per backend and kernel).
 */
export function runKernel<K extends KernelName>(name: K, inputs: TensorInputs, attrs: KernelAttrs<K>): Tensor[] {
  const present = Object.entries(inputs).filter((e): e is [string, Tensor] => e[1] !== undefined);
  const backend = present.length ? present[0]![1].storage.backend : currentBackend();
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
  const impl = backend.kernels[name];
  if (impl) {
    noteKernelLaunch(name, backend.name, 'native');
    const infos: Record<string, TensorInfo> = {};
    for (const [arg, t] of present) infos[arg] = { data: t.storage.data, shape: t.shape };
    return wrapOutputs(backend, impl(infos as never, attrs as never, backend as never));
  }
  const cpu = cpuFallback();
  const cpuImpl = cpu.kernels[name];
  const fallback = cpuImpl && backend.readSync;
  noteKernelLaunch(name, backend.name, fallback ? 'fallback' : 'missing');
  if (!cpuImpl) throw new HypercolumnError(`${name}: no backend implements this kernel (not even cpu)`, name, 'kernel');
  if (!backend.readSync) {
    throw new HypercolumnError(`${name}: backend "${backend.name}" lacks this kernel and cannot read synchronously for the cpu fallback`, name, 'kernel');
  }
  const key = `${backend.name}:${name}`;
  if (!warnedFallbacks.has(key)) {
    warnedFallbacks.add(key);
    console.warn(`hypercolumn: backend "${backend.name}" has no ${name} kernel; running it on cpu`);
  }
  const infos: Record<string, TensorInfo> = {};
  for (const [arg, t] of present) infos[arg] = { data: cpu.write(backend.readSync(t.storage.data, t.size), t.shape), shape: t.shape };
  const outs = toList(cpuImpl(infos as never, attrs as never, cpu as never));
  for (const info of Object.values(infos)) cpu.free(info.data);
  return outs.map((o) => {
    const size = sizeOf(o.shape);
    const values = cpu.readSync!(o.data, size);
    cpu.free(o.data);
    return Tensor.fromStorage(new Storage(backend, backend.write(values, o.shape), size * 4), o.shape);
  });
}

function toList(out: unknown): TensorInfo[] {
  return Array.isArray(out) ? (out as TensorInfo[]) : [out as TensorInfo];
}

function wrapOutputs(backend: Backend<any>, out: unknown): Tensor[] {
  return toList(out).map((o) => Tensor.fromStorage(new Storage(backend, o.data, sizeOf(o.shape) * 4), o.shape));
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export { KERNELS };
