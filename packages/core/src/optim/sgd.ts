import { flushAll, keep, noGrad, scope } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { add, mul, sub } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { checkBoolean, checkFinite, checkOptions } from '../validate.js';
import { namedParams, type ParamsInput } from './params.js';

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

  /** One update of every parameter that has a gradient. */
  step(): void {
    const { momentum, dampening, weightDecay, nesterov, _lr: lr } = this;
    noGrad(() => {
      for (const p of this.params) {
        const g = p.grad;
        if (!g) continue;
        p.assertUsable('SGD.step', 'param');
        g.assertUsable('SGD.step', 'param.grad');
        scope(() => {
          let d: Tensor = weightDecay !== 0 ? add(g, mul(p, weightDecay)) : g;
          if (momentum !== 0) {
            let buf = this.buffers.get(p);
            if (!buf) {
              // a real copy (×1 is exact, −0 and NaN included), not a view: the buffer must not keep
              // the gradient's storage alive, so memory use is the same after step 1 as after step n
              buf = keep(mul(d, 1));
              this.buffers.set(p, buf);
            } else {
              const next = dampening !== 0 ? add(mul(buf, momentum), mul(d, 1 - dampening)) : add(mul(buf, momentum), d);
              buf.assign(next);
            }
            d = nesterov ? add(d, mul(buf, momentum)) : buf;
          }
          p.assign(sub(p, mul(d, lr)));
        });
      }
    });
    flushAll();
  }

  /** Sets every parameter's `.grad` to null (disposing it). */
  zeroGrad(): void {
    for (const p of this.params) {
      if (p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
    }
  }

  /** Frees the momentum buffers (the parameters stay). */
  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
