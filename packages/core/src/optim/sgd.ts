import { flushAll, keep, noGrad, runKernel } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { mul } from '../ops/elementwise.js';
import { checkBoolean, checkFinite, checkOptions } from '../validate.js';
import { clearGrads, namedParams, swapIn, type ParamsInput } from './params.js';

export interface SGDOptions {
  /** Learning rate (≥ 0, finite). Required. */
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

const SGD_KEYS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'] as const;

/**
 * Stochastic gradient descent with PyTorch's exact update rule (torch.optim.SGD), per parameter p
 * with gradient g:
 *   g ← g + weightDecay·p                              (if weightDecay ≠ 0)
 *   b ← g (first step) | momentum·b + (1 − dampening)·g  (if momentum ≠ 0)
 *   g ← g + momentum·b (nesterov) | b
 *   p ← p − lr·g
 * Parameters whose `.grad` is null are skipped (their momentum is not touched). Updates run under
 * `noGrad` and replace values with `tensor.assign`; no intermediate tensor survives a step.
 */
export class SGD {
  readonly params: readonly Tensor[];
  private _lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly buffers = new Map<Tensor, Tensor>();

  constructor(params: ParamsInput, options: SGDOptions) {
    const op = 'SGD';
    const list = namedParams(op, params).map(([, t]) => t);
    if (list.length === 0) fail(op, 'params', 'at least one parameter', 'an empty list');
    if (options === undefined || options === null || typeof options !== 'object') fail(op, 'options', 'an object with lr', options);
    const opts = checkOptions<SGDOptions>(op, options, SGD_KEYS);
    if (opts.lr === undefined) fail(op, 'lr', 'a finite number ≥ 0', undefined);
    this._lr = checkFinite(op, 'lr', opts.lr, 0);
    this.momentum = checkFinite(op, 'momentum', opts.momentum ?? 0, 0);
    this.dampening = checkFinite(op, 'dampening', opts.dampening ?? 0);
    this.weightDecay = checkFinite(op, 'weightDecay', opts.weightDecay ?? 0, 0);
    this.nesterov = checkBoolean(op, 'nesterov', opts.nesterov ?? false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new HypercolumnError(
        `${op}: nesterov expected momentum > 0 and dampening 0, got momentum ${this.momentum} and dampening ${this.dampening}`,
        op,
        'nesterov',
      );
    }
    this.params = Object.freeze(list);
  }

  /** Learning rate; may be changed between steps (schedules). */
  get lr(): number {
    return this._lr;
  }
  set lr(value: number) {
    this._lr = checkFinite('SGD', 'lr', value, 0);
  }

  /** The momentum buffer of `param` (undefined before its first step or without momentum). */
  momentumBuffer(param: Tensor): Tensor | undefined {
    return this.buffers.get(param);
  }

  /**
   * One update of every parameter that has a gradient: one fused kernel per parameter (sgdStep, or
   * sgdMomentumStep with its buffer), whose fresh outputs are swapped into the parameter and buffer.
   */
  step(): void {
    const { momentum, dampening, weightDecay, nesterov, _lr: lr } = this;
    noGrad(() => {
      for (const p of this.params) {
        const g = p.grad;
        if (!g) continue;
        if (!(g instanceof Tensor)) fail('SGD.step', 'param.grad', 'a Tensor or null', g);
        p.assertUsable('SGD.step', 'param');
        g.assertUsable('SGD.step', 'param.grad');
        if (momentum === 0) {
          const [next] = runKernel('sgdStep', { param: p, grad: g }, { lr, weightDecay });
          swapIn(p, next!);
          continue;
        }
        const buf = this.buffers.get(p);
        const [next, nextBuf] = runKernel('sgdMomentumStep', { param: p, grad: g, momentumBuffer: buf }, { lr, momentum, dampening, weightDecay, nesterov });
        swapIn(p, next!);
        if (buf) swapIn(buf, nextBuf!);
        else this.buffers.set(p, keep(nextBuf!));
      }
    });
    flushAll();
  }

  /** Sets every parameter's `.grad` to null (disposing it). */
  zeroGrad(): void {
    clearGrads(this.params);
  }

  /** lr and the momentum buffers by parameter position, as new tensors sharing storage (the caller disposes them). */
  stateDict(): { lr: number; momentumBuffers: Record<string, Tensor> } {
    const momentumBuffers: Record<string, Tensor> = {};
    this.params.forEach((p, i) => {
      const b = this.buffers.get(p);
      if (b) momentumBuffers[String(i)] = Tensor.view(b, b.shape);
    });
    return { lr: this._lr, momentumBuffers };
  }

  /** Restores a `stateDict()` (values copied in); everything is checked before anything changes. */
  loadStateDict(dict: { lr: number; momentumBuffers: Record<string, Tensor> }): void {
    const op = 'SGD.loadStateDict';
    if (!dict || typeof dict !== 'object' || !dict.momentumBuffers || typeof dict.momentumBuffers !== 'object') fail(op, 'dict', 'an object from stateDict()', dict);
    const lr = checkFinite(op, 'dict.lr', dict.lr, 0);
    const pairs = Object.entries(dict.momentumBuffers).map(([key, b]) => {
      const p = this.params[Number(key)];
      if (!p || !Number.isInteger(Number(key))) fail(op, `dict.momentumBuffers[${JSON.stringify(key)}]`, `a parameter position in [0, ${this.params.length - 1}]`, key);
      if (!(b instanceof Tensor)) fail(op, `dict.momentumBuffers[${key}]`, 'a Tensor', b);
      b.assertUsable(op, `dict.momentumBuffers[${key}]`);
      if (b.shape.length !== p.shape.length || b.shape.some((d, k) => d !== p.shape[k])) fail(op, `dict.momentumBuffers[${key}]`, `shape [${p.shape.join(', ')}]`, b.shape);
      return [p, b] as const;
    });
    this._lr = lr;
    this.dispose();
    noGrad(() => {
      for (const [p, b] of pairs) this.buffers.set(p, keep(mul(b.backend === p.backend ? b : b.to(p.backend), 1)));
    });
  }

  /** Frees the momentum buffers (the parameters stay). */
  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

