import { keep, noGrad, scope } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { moduleOp } from '../guard.js';
import { tensor } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import { checkBoolean, checkOptions, shapeText } from '../validate.js';
import { summary } from './summary.js';

export interface LoadStateDictOptions {
  /** Missing and unexpected entries are errors (default true). Shapes must always match. */
  strict?: boolean;
}

/**
 * Base class of every layer. A module owns parameters (tensors with `requiresGrad`, trained by an
 * optimizer), buffers (state that is saved but not trained, e.g. batch norm's running statistics)
 * and child modules. Names are stable and dotted (`"0.weight"`, `"block.bn.runningMean"`), in
 * registration order (parameters, then buffers, then children, per module; as PyTorch).
 *
 * Ownership: a module keeps its tensors out of every `scope()` and frees them in `dispose()`.
 */
export abstract class Module {
  /** True in training mode (the default), false after `eval()`. */
  training = true;
  private readonly paramSlots = new Map<string, Tensor | null>();
  private readonly bufferSlots = new Map<string, Tensor | null>();
  private readonly childSlots = new Map<string, Module>();

  /** Computes the output. Intermediate tensors are freed; the autograd graph keeps what it needs. */
  abstract forward(x: Tensor): Tensor;

  constructor() {
    // forward (and the fused forwardActivated) of every module, subclasses of users included: a
    // failure says "<Class>.forward: …" (not the op inside that raised it) and frees what the call made
    for (const method of ['forward', 'forwardActivated'] as const) {
      const original = (this as unknown as Record<string, unknown>)[method];
      if (typeof original !== 'function') continue;
      const op = `${this.opName}.forward`;
      const run = (...args: unknown[]) => moduleOp(op, () => (original as (...a: unknown[]) => unknown).apply(this, args));
      Object.defineProperty(this, method, { configurable: true, writable: true, value: run });
    }
  }

  /** The class name, used in error messages. */
  protected get opName(): string {
    return this.constructor.name;
  }

  // ------------------------------------------------------------ registration

  /** Registers a parameter (marks it `requiresGrad`, keeps it out of scopes). `null` = absent. */
  protected registerParameter<T extends Tensor | null>(name: string, t: T): T {
    this.checkName(name);
    if (t !== null) {
      if (!(t instanceof Tensor)) fail(`${this.opName}.registerParameter`, name, 'a Tensor or null', t);
      keep(t);
      t.requiresGrad = true;
    }
    this.paramSlots.set(name, t);
    return t;
  }

  /** Registers a buffer (saved in the state dict, not trained). `null` = absent. */
  protected registerBuffer<T extends Tensor | null>(name: string, t: T): T {
    this.checkName(name);
    if (t !== null) {
      if (!(t instanceof Tensor)) fail(`${this.opName}.registerBuffer`, name, 'a Tensor or null', t);
      keep(t);
    }
    this.bufferSlots.set(name, t);
    return t;
  }

  /** Registers a child module under `name`. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    if (!(m instanceof Module)) fail(`${this.opName}.registerModule`, name, 'a Module', m);
    this.childSlots.set(name, m);
    return m;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) fail(this.opName, 'name', 'a non-empty name without "."', name);
    if (this.paramSlots.has(name) || this.bufferSlots.has(name) || this.childSlots.has(name)) {
      fail(this.opName, 'name', 'a name not registered yet', name);
    }
  }

  // ------------------------------------------------------------ traversal

  /** Direct children with their names. */
  namedChildren(): [string, Module][] {
    return [...this.childSlots];
  }
  children(): Module[] {
    return [...this.childSlots.values()];
  }

  /** This module and every descendant (pre-order), each once, with dotted names ('' = this). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
      for (const [childName, child] of m.childSlots) visit(child, name ? `${name}.${childName}` : childName);
    };
    visit(this, prefix);
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private namedTensors(kind: 'paramSlots' | 'bufferSlots', recurse: boolean): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const modules: [string, Module][] = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of modules) {
      for (const [name, t] of m[kind]) {
        if (t === null || seen.has(t)) continue; // shared tensors are listed once, under their first name
        seen.add(t);
        out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Parameters with dotted names, recursively, in registration order (shared ones once). */
  namedParameters(recurse = true): [string, Tensor][] {
    return this.namedTensors('paramSlots', recurse);
  }
  /** Parameters, recursively, in registration order (what an optimizer takes). */
  parameters(recurse = true): Tensor[] {
    return this.namedParameters(recurse).map(([, t]) => t);
  }
  /** Buffers (running statistics …) with dotted names, recursively. */
  namedBuffers(recurse = true): [string, Tensor][] {
    return this.namedTensors('bufferSlots', recurse);
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers(recurse).map(([, t]) => t);
  }

  // ------------------------------------------------------------ modes and gradients

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Evaluation mode (batch norm uses its running statistics). */
  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's `.grad` to null, disposing it. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  // ------------------------------------------------------------ state

  /**
   * Parameters and buffers by dotted name. The returned tensors are NEW tensor objects that share
   * storage with the current values (no data is copied). Storage is never written in place in
   * hypercolumn (optimizers and running statistics replace it with `assign`), so the dict is a frozen
   * snapshot: later training does not change it. The caller owns the tensors: dispose them (or
   * create the dict inside `scope()`). They do not require grad.
   */
  stateDict(): Record<string, Tensor> {
    const dict: Record<string, Tensor> = {};
    for (const [name, t] of [...this.namedParameters(), ...this.namedBuffers()]) dict[name] = Tensor.view(t, t.shape);
    return dict;
  }

  /**
   * Loads values by dotted name into the existing parameter/buffer tensors (same objects, so
   * optimizers keep working). Everything is checked before anything changes: a missing or
   * unexpected name (with `strict`, the default), a non-tensor, a disposed tensor or a wrong shape
   * throws a HypercolumnError and leaves the module unchanged. Values on another backend are moved.
   * The dict is not consumed (the caller still owns and disposes it).
   */
  loadStateDict(dict: Record<string, Tensor>, options: LoadStateDictOptions = {}): void {
    const op = `${this.opName}.loadStateDict`;
    if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) fail(op, 'dict', 'an object of named tensors', dict);
    const strict = checkBoolean(op, 'strict', checkOptions<LoadStateDictOptions>(op, options, ['strict']).strict ?? true);
    const own = new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
    const missing = [...own.keys()].filter((k) => !Object.prototype.hasOwnProperty.call(dict, k));
    const unexpected = Object.keys(dict).filter((k) => !own.has(k));
    if (strict && (missing.length || unexpected.length)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing ${missing.map((k) => JSON.stringify(k)).join(', ')}`);
      if (unexpected.length) parts.push(`unexpected ${unexpected.map((k) => JSON.stringify(k)).join(', ')}`);
      throw new HypercolumnError(`${op}: dict expected exactly the keys ${[...own.keys()].map((k) => JSON.stringify(k)).join(', ')}, got ${parts.join('; ')}`, op, 'dict');
    }
    const pairs: [Tensor, Tensor][] = [];
    for (const [name, target] of own) {
      if (!Object.prototype.hasOwnProperty.call(dict, name)) continue;
      const value = dict[name];
      if (!(value instanceof Tensor)) fail(op, `dict[${JSON.stringify(name)}]`, 'a Tensor', value);
      if (value.isDisposed || value.storage.released) fail(op, `dict[${JSON.stringify(name)}]`, 'a live tensor', 'a disposed tensor');
      if (value.shape.length !== target.shape.length || value.shape.some((s, i) => s !== target.shape[i])) {
        throw new HypercolumnError(`${op}: dict[${JSON.stringify(name)}] expected shape ${shapeText(target.shape)}, got ${shapeText(value.shape)}`, op, `dict[${JSON.stringify(name)}]`);
      }
      target.assertUsable(op, name);
      pairs.push([target, value]);
    }
    noGrad(() =>
      scope(() => {
        // moves between backends can fail (backend gone): do them all before any assignment
        const moved = pairs.map(([target, value]) => (value.backend === target.backend ? value : value.to(target.backend)));
        pairs.forEach(([target], i) => target.assign(moved[i]!));
      }),
    );
  }

  /**
   * Moves every parameter, gradient and buffer to backend `name`, in place (the tensor objects stay,
   * so optimizers keep working), reading synchronously; use `toAsync` from a backend without
   * synchronous reads. Returns this module.
   */
  to(name: string): this {
    const moved = noGrad(() => this.movable().map((t) => t.to(name)));
    this.adoptMoved(moved);
    return this;
  }

  /** As `to()`, reading asynchronously (every backend). */
  async toAsync(name: string): Promise<this> {
    const moved: Tensor[] = [];
    try {
      for (const t of this.movable()) {
        t.assertUsable('toAsync', 'parameter');
        // a plain copy, not recorded: moving a module is not part of any graph
        moved.push(tensor(await t.data(), t.shape, { backend: name }));
      }
    } catch (err) {
      for (const t of moved) t.dispose();
      throw err;
    }
    this.adoptMoved(moved);
    return this;
  }

  /** Parameters, their gradients and buffers, in a fixed order. */
  private movable(): Tensor[] {
    const params = this.parameters();
    return [...params, ...params.flatMap((p) => (p.grad ? [p.grad] : [])), ...this.buffers()];
  }

  /** Swaps moved storage into the tensors of `movable()` (all moves done first: a failure changes nothing). */
  private adoptMoved(moved: Tensor[]): void {
    this.movable().forEach((t, i) => {
      t.assign(moved[i]!);
      moved[i]!.dispose();
    });
  }

  /** Frees every parameter, gradient and buffer of this module and its descendants. */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.buffers()]) t.dispose();
  }

  /**
   * Per-layer table: every module with its own parameter count, and with `inputShape` each one's
   * output shape from one forward pass on zeros (see `summary` in summary.ts). `.text` prints it.
   */
  summary(inputShape?: readonly number[]): ReturnType<typeof summary> {
    return summary(this, inputShape);
  }

  /** A one-line description (class and parameter count). */
  toString(): string {
    const count = this.parameters().reduce((n, p) => n + p.size, 0);
    return `${this.opName}(${count} parameters)`;
  }
}

