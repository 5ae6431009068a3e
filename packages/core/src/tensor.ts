import type { Backend } from './backend.js';
import { record, backward as runBackward, type GradNode } from './autograd.js';
import { backendByName, keep, sizeOf, trackStorage, trackTensor, untrackStorage, untrackTensor } from './engine.js';
import { fail, HypercolumnError } from './errors.js';

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
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs === 0) {
      this.backend.free(this.data);
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
  }

  /** Copies the values out (async: works on every backend). */
  async data(): Promise<Float32Array> {
    this.assertUsable('data', 'tensor');
    return this.currentStorage.backend.read(this.currentStorage.data, this.size);
  }

  /** Copies the values out synchronously, where the backend allows it. */
  dataSync(): Float32Array {
    this.assertUsable('dataSync', 'tensor');
    const backend = this.currentStorage.backend;
    if (!backend.readSync) {
      throw new HypercolumnError(`dataSync: backend "${backend.name}" cannot read synchronously; use await tensor.data()`, 'dataSync', 'tensor');
    }
    return backend.readSync(this.currentStorage.data, this.size);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    this.assertUsable('item', 'tensor');
    if (this.size !== 1) throw new HypercolumnError(`item: tensor expected 1 element, got shape [${this.shape.join(', ')}]`, 'item', 'tensor');
    const backend = this.currentStorage.backend;
    if (!backend.readSync) throw new HypercolumnError(`item: backend "${backend.name}" cannot read synchronously; use (await tensor.data())[0]`, 'item', 'tensor');
    return backend.readSync(this.currentStorage.data, 1)[0]!;
  }

  /** This tensor on another backend (a view if it is there already); gradients flow back through the move. */
  to(backendName: string): Tensor {
    this.assertUsable('to', 'tensor');
    const target = backendByName(backendName);
    if (target === this.currentStorage.backend) {
      const same = Tensor.view(this, this.shape);
      record('to', same, [this], [], (dy) => [Tensor.view(dy, dy.shape)]);
      return same;
    }
    const values = this.dataSync();
    const moved = Tensor.fromStorage(new Storage(target, target.write(values, this.shape), this.size * 4), this.shape);
    // gradients flow back across the move, as with PyTorch's .to()
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
    if (value.currentStorage.backend !== this.currentStorage.backend) {
      throw new HypercolumnError(`assign: value expected a tensor on backend "${this.backend}", got one on "${value.backend}" (move it with value.to("${this.backend}"))`, 'assign', 'value');
    }
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
