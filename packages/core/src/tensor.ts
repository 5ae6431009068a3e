import type { Backend } from './backend.js';
import { record, backward as runBackward, type GradNode } from './autograd.js';
import { countRead, countWrite } from './counters.js';
import { backendByName, flushBackend, isGradEnabled, keep, lostReason, sizeOf, trackStorage, trackTensor, untrackStorage, untrackTensor } from './engine.js';
import { fail, HypercolumnError } from './errors.js';
import { checkBoolean, checkOptions } from './validate.js';

/** The data of every zero-element tensor: no backend ever sees one (DESIGN §2). */
const EMPTY: unique symbol = Symbol('empty');

/**
 * Backend storage shared by tensors (reshape views, autograd's saved tensors) and freed when the
 * last holder releases it.
 */
export class Storage {
  private refs = 1;
  constructor(
    readonly backend: Backend<any>,
    readonly data: unknown,
    readonly bytes: number,
  ) {
    trackStorage(this);
  }
  /** Storage for a tensor of `shape`: a copy of `values` on `backend`, or nothing for zero elements. */
  static upload(backend: Backend<any>, values: Float32Array, shape: readonly number[]): Storage {
    if (values.length === 0) return Storage.empty(backend);
    countWrite(backend);
    return new Storage(backend, backend.write(values, shape), values.length * 4);
  }
  /**
   * Storage that is `values` itself where the backend can adopt host memory (`Backend.adopt`), else
   * a copy. The caller must not write to `values` afterwards.
   */
  static adopt(backend: Backend<any>, values: Float32Array, shape: readonly number[]): Storage {
    if (values.length === 0 || !backend.adopt) return Storage.upload(backend, values, shape);
    return new Storage(backend, backend.adopt(values, shape), values.length * 4);
  }
  /** Storage of a zero-element tensor (no backend allocation). */
  static empty(backend: Backend<any>): Storage {
    return new Storage(backend, EMPTY, 0);
  }
  get isEmpty(): boolean {
    return this.data === EMPTY;
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) {
      // a lost backend's storage is gone with it
      if (this.data !== EMPTY && lostReason(this.backend) === undefined) this.backend.free(this.data);
      untrackStorage(this);
    }
  }
  get released(): boolean {
    return this.refs <= 0;
  }
}

/** A float32 tensor living on one backend. */
export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  /** Gradient accumulated by `backward()` for a leaf with `requiresGrad`. */
  grad: Tensor | null = null;
  /** The autograd node that produced this tensor (undefined for leaves and outside recording). */
  gradNode: GradNode | undefined;
  private leafRequiresGrad = false;
  private disposed = false;

  private constructor(
    private currentStorage: Storage,
    shape: readonly number[],
    tracked: boolean,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    if (tracked) trackTensor(this);
  }

  /** Wraps storage (the caller hands over one reference) as a new tracked tensor. */
  static fromStorage(storage: Storage, shape: readonly number[]): Tensor {
    return new Tensor(storage, shape, true);
  }

  /** A view of `source`'s storage with another shape (same element count; checked by the caller). */
  static view(source: Tensor, shape: readonly number[]): Tensor {
    return new Tensor(source.storage.retain(), shape, true);
  }

  /** An untracked alias that keeps storage alive for autograd even if the user disposes `source`. */
  static savedAlias(source: Tensor): Tensor {
    return new Tensor(source.storage.retain(), source.shape, false);
  }

  get storage(): Storage {
    return this.currentStorage;
  }
  /** Name of the backend holding the data. */
  get backend(): string {
    return this.currentStorage.backend.name;
  }
  get rank(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** True for a leaf marked for gradients and for every tensor computed from one while recording. */
  get requiresGrad(): boolean {
    return this.leafRequiresGrad || this.gradNode !== undefined;
  }
  set requiresGrad(value: boolean) {
    if (typeof value !== 'boolean') fail('requiresGrad', 'value', 'a boolean', value);
    this.assertUsable('requiresGrad', 'tensor');
    if (this.gradNode) {
      throw new HypercolumnError('requiresGrad: tensor expected a leaf tensor, got one computed by an op (only leaves can change requiresGrad)', 'requiresGrad', 'tensor');
    }
    this.leafRequiresGrad = value;
  }

  /** Throws a HypercolumnError if this tensor was disposed. */
  assertUsable(op: string, argument: string): void {
    if (this.disposed || this.currentStorage.released) {
      throw new HypercolumnError(`${op}: ${argument} expected a live tensor, got a disposed tensor of shape [${this.shape.join(', ')}]`, op, argument);
    }
    const lost = lostReason(this.currentStorage.backend);
    if (lost !== undefined) {
      throw new HypercolumnError(`${op}: ${argument} expected a tensor on an available backend, got one on "${this.backend}", which was lost: ${lost}`, op, argument);
    }
  }

  /**
   * The values (async: works on every backend), in a new Float32Array. With `{copy: false}` a
   * host-visible backend (cpu, native) may return its own storage instead, as PyTorch's `.numpy()`
   * does: no copy, and still valid after `dispose()`. It is the tensor's memory, so treat it as
   * read-only: a write would change the tensor. Other backends copy.
   */
  async data(options?: { copy?: boolean }): Promise<Float32Array> {
    const copy = checkBoolean('data', 'copy', checkOptions<{ copy: boolean }>('data', options, ['copy']).copy ?? true);
    return this.readOut('data', copy ? 'copy' : 'view');
  }

  /**
   * The values without a copy where the backend can lend them, valid until the tensor's storage is
   * freed: its `dispose()`, or later while a reshape or autograd still shares it. The fastest read in a
   * loop: native then detaches the array (its length becomes 0) and reuses the memory at once, where a
   * `data({copy: false})` view keeps it until the garbage collector takes the array. cpu lends its
   * storage as `data({copy: false})` does; wasm copies into a recycled array, detached in the same
   * way; WebGPU copies.
   */
  async borrow(): Promise<Float32Array> {
    return this.readOut('borrow', 'borrow');
  }

  /** The asynchronous reads: `how` falls back from borrow to view to a copy where the backend lacks it. */
  private async readOut(op: string, how: 'copy' | 'view' | 'borrow'): Promise<Float32Array> {
    this.assertUsable(op, 'tensor');
    if (this.currentStorage.isEmpty) return new Float32Array(0);
    const backend = this.currentStorage.backend;
    countRead(backend);
    flushBackend(backend);
    const data = this.currentStorage.data;
    if (how === 'borrow' && backend.borrow) return backend.borrow(data, this.size);
    if (how !== 'copy' && backend.view) return backend.view(data, this.size);
    return backend.read(data, this.size);
  }

  /** Copies the values out synchronously, where the backend allows it. */
  dataSync(): Float32Array {
    this.assertUsable('dataSync', 'tensor');
    const backend = this.currentStorage.backend;
    if (!backend.readSync) {
      throw new HypercolumnError(`dataSync: backend "${backend.name}" cannot read synchronously; use await tensor.data()`, 'dataSync', 'tensor');
    }
    if (this.currentStorage.isEmpty) return new Float32Array(0);
    countRead(backend);
    flushBackend(backend);
    if (backend.readInto) {
      // host-visible storage: one copy straight into the result
      const out = new Float32Array(this.size);
      backend.readInto(this.currentStorage.data, out);
      return out;
    }
    return backend.readSync(this.currentStorage.data, this.size);
  }

  /** The single value of a one-element tensor (synchronous read, where the backend allows it). */
  item(): number {
    this.checkOneElement('item');
    return this.dataSync()[0]!;
  }

  /** The single value of a one-element tensor, read asynchronously (every backend). */
  async itemAsync(): Promise<number> {
    this.checkOneElement('itemAsync');
    return (await this.data())[0]!;
  }

  private checkOneElement(op: string): void {
    this.assertUsable(op, 'tensor');
    if (op === 'item' && !this.currentStorage.backend.readSync) {
      throw new HypercolumnError(`item: backend "${this.backend}" cannot read synchronously; use await tensor.itemAsync()`, 'item', 'tensor');
    }
    if (this.size !== 1) throw new HypercolumnError(`${op}: tensor expected 1 element, got shape [${this.shape.join(', ')}]`, op, 'tensor');
  }

  /**
   * This tensor on another backend (a view if it is there already), read synchronously from this
   * backend; gradients flow back through the move, as with PyTorch's `.to()`. On a backend without
   * synchronous reads use `await toAsync(name)`.
   */
  to(backendName: string): Tensor {
    const op = 'to';
    this.assertUsable(op, 'tensor');
    const target = backendByName(backendName, op);
    if (target === this.currentStorage.backend) return this.sameBackendView();
    const source = this.currentStorage.backend;
    if (!source.readSync && !this.currentStorage.isEmpty) {
      throw new HypercolumnError(`${op}: tensor expected to be on a backend that reads synchronously, got one on "${source.name}" (use await tensor.toAsync("${backendName}"))`, op, 'tensor');
    }
    this.checkMoveBackward(op, target);
    const values = this.currentStorage.isEmpty ? new Float32Array(0) : this.dataSync();
    return this.recordMove(Tensor.fromStorage(Storage.upload(target, values, this.shape), this.shape));
  }

  /** As `to()`, reading asynchronously: works from every backend. */
  async toAsync(backendName: string): Promise<Tensor> {
    const op = 'toAsync';
    this.assertUsable(op, 'tensor');
    const target = backendByName(backendName, op);
    if (target === this.currentStorage.backend) return this.sameBackendView();
    // checked before reading: the graph is recorded after the await, so decide now
    this.checkMoveBackward(op, target);
    const values = await this.data();
    return this.recordMove(Tensor.fromStorage(Storage.upload(target, values, this.shape), this.shape));
  }

  private sameBackendView(): Tensor {
    const same = Tensor.view(this, this.shape);
    record('to', same, [this], [], (dy) => [Tensor.view(dy, dy.shape)]);
    return same;
  }

  /**
   * Backward moves the gradient from `target` back here with a synchronous read (backward itself is
   * synchronous): where `target` cannot read synchronously that is an error now, at record time,
   * not later inside backward().
   */
  private checkMoveBackward(op: string, target: Backend<any>): void {
    if (isGradEnabled() && this.requiresGrad && !target.readSync) {
      throw new HypercolumnError(
        `${op}: tensor expected no gradient to carry back from "${target.name}" (it cannot read synchronously, so backward() could not move the gradient back), got a tensor that requires grad; move it under hc.noGrad`,
        op,
        'tensor',
      );
    }
  }

  private recordMove(moved: Tensor): Tensor {
    const source = this.backend;
    record('to', moved, [this], [], (dy) => [dy.to(source)]);
    return moved;
  }

  /** Back-propagates from this tensor; a non-scalar needs the gradient of the loss w.r.t. it. */
  backward(gradient?: Tensor): void {
    runBackward(this, gradient);
  }

  /**
   * Replaces this tensor's values with `value`'s (same shape), keeping the tensor object: used by
   * optimizers and by batch norm's running statistics. Autograd's saved copies keep the old values.
   */
  assign(value: Tensor): void {
    this.assertUsable('assign', 'tensor');
    if (!(value instanceof Tensor)) fail('assign', 'value', 'a Tensor', value);
    value.assertUsable('assign', 'value');
    if (value.shape.length !== this.shape.length || value.shape.some((s, i) => s !== this.shape[i])) {
      throw new HypercolumnError(`assign: value expected shape [${this.shape.join(', ')}], got [${value.shape.join(', ')}]`, 'assign', 'value');
    }
    const old = this.currentStorage;
    this.currentStorage = value.storage.retain();
    old.release();
  }

  /** Frees the storage (once every view and saved copy is gone). Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    untrackTensor(this);
    this.currentStorage.release();
    this.gradNode?.release();
    this.gradNode = undefined;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** Keeps this tensor out of `scope()` disposal. */
  keep(): this {
    return keep(this);
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], backend=${this.backend}${this.disposed ? ', disposed' : ''})`;
  }
}
