import { flushAll, keep, noGrad, runKernel } from '../engine.js';
import { fail, HypercolumnError } from '../errors.js';
import { zeros } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import { checkFinite, checkInRange, checkOptions } from '../validate.js';
import { clearGrads, namedParams, swapIn, type ParamsInput } from './params.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** [β1, β2] moment decay rates, each in [0, 1) (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to √v̂ (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (Adam) or decoupled decay (AdamW); default 0 (Adam), 1e-2 (AdamW). */
  weightDecay?: number;
}

/** What `stateDict()` returns: hyper-parameters, the step count and per-parameter moments (by position). */
export interface AdamState {
  lr: number;
  step: number;
  /** Position of the parameter in `params` → its moments (tensors owned by the dict: dispose them). */
  moments: Record<string, { m: Tensor; v: Tensor; step: number }>;
}

const KEYS = ['lr', 'betas', 'eps', 'weightDecay'] as const;

/**
 * Adam (Kingma & Ba 2015) with PyTorch's update rule (torch.optim.Adam, amsgrad off), per parameter
 * p with gradient g at step t:
 *   g ← g + wd·p  (Adam)  |  p ← p − lr·wd·p  (AdamW, decoupled)
 *   m ← β1·m + (1 − β1)·g;   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1^t) · m / (√v/√(1 − β2^t) + eps)
 * One `adamStep` kernel per parameter (fused where the backend has it, a composition elsewhere);
 * parameters whose `.grad` is null are skipped and keep their own step count.
 */
export class Adam {
  readonly params: readonly Tensor[];
  private _lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly state = new Map<Tensor, { m: Tensor; v: Tensor; step: number }>();

  constructor(params: ParamsInput, options: AdamOptions = {}, protected readonly decoupled = false) {
    const op = decoupled ? 'AdamW' : 'Adam';
    const list = namedParams(op, params).map(([, t]) => t);
    if (list.length === 0) fail(op, 'params', 'at least one parameter', 'an empty list');
    const opts = checkOptions<AdamOptions>(op, options, KEYS);
    this._lr = checkFinite(op, 'lr', opts.lr ?? 1e-3, 0);
    const betas = opts.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) fail(op, 'betas', '[β1, β2]', betas);
    [this.beta1, this.beta2] = Array.from(betas, (b, i) => {
      checkInRange(op, `betas[${i}]`, b, 0, 1);
      if (b === 1) fail(op, `betas[${i}]`, 'a number in [0, 1)', b);
      return b;
    }) as [number, number];
    this.eps = checkFinite(op, 'eps', opts.eps ?? 1e-8, 0);
    this.weightDecay = checkFinite(op, 'weightDecay', opts.weightDecay ?? (decoupled ? 1e-2 : 0), 0);
    this.params = Object.freeze(list);
  }

  get lr(): number {
    return this._lr;
  }
  set lr(value: number) {
    this._lr = checkFinite(this.decoupled ? 'AdamW' : 'Adam', 'lr', value, 0);
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    const op = `${this.decoupled ? 'AdamW' : 'Adam'}.step`;
    const grads = this.params.map((p, i) => {
      if (!p.grad) return undefined;
      p.assertUsable(op, `params[${i}]`);
      if (!(p.grad instanceof Tensor)) fail(op, `params[${i}].grad`, 'a Tensor or null', p.grad);
      p.grad.assertUsable(op, `params[${i}].grad`);
      if (p.grad.backend !== p.backend) fail(op, `params[${i}].grad`, `a gradient on the parameter's backend "${p.backend}"`, `one on "${p.grad.backend}"`);
      if (p.grad.shape.length !== p.shape.length || p.grad.shape.some((d, k) => d !== p.shape[k])) fail(op, `params[${i}].grad`, `shape [${p.shape.join(', ')}]`, p.grad.shape);
      return p.grad;
    });
    noGrad(() => {
      this.params.forEach((p, i) => {
        const g = grads[i];
        if (!g) return;
        let s = this.state.get(p);
        if (!s) {
          s = { m: keep(zeros([...p.shape], { backend: p.backend })), v: keep(zeros([...p.shape], { backend: p.backend })), step: 0 };
          this.state.set(p, s);
        }
        s.step++;
        const [next, m, v] = runKernel('adamStep', { param: p, grad: g, m: s.m, v: s.v }, {
          lr: this._lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, decoupled: this.decoupled, step: s.step,
        });
        swapIn(p, next!);
        swapIn(s.m, m!);
        swapIn(s.v, v!);
      });
    });
    flushAll();
  }

  zeroGrad(): void {
    clearGrads(this.params);
  }

  /** The optimizer's state: lr, and per parameter (by position) its moments and step count, as new tensors sharing storage. */
  stateDict(): AdamState {
    const moments: AdamState['moments'] = {};
    this.params.forEach((p, i) => {
      const s = this.state.get(p);
      if (s) moments[String(i)] = { m: Tensor.view(s.m, s.m.shape), v: Tensor.view(s.v, s.v.shape), step: s.step };
    });
    return { lr: this._lr, step: Math.max(0, ...[...this.state.values()].map((s) => s.step)), moments };
  }

  /** Restores a `stateDict()` (values are copied in; the dict stays the caller's). Checked before anything changes. */
  loadStateDict(dict: AdamState): void {
    const op = `${this.decoupled ? 'AdamW' : 'Adam'}.loadStateDict`;
    if (!dict || typeof dict !== 'object' || !dict.moments || typeof dict.moments !== 'object') fail(op, 'dict', 'an object from stateDict()', dict);
    const lr = checkFinite(op, 'dict.lr', dict.lr, 0);
    const entries = Object.entries(dict.moments).map(([key, s]) => {
      const i = Number(key);
      const p = this.params[i];
      if (!Number.isInteger(i) || !p) fail(op, `dict.moments[${JSON.stringify(key)}]`, `a parameter position in [0, ${this.params.length - 1}]`, key);
      for (const name of ['m', 'v'] as const) {
        const t = s?.[name];
        if (!(t instanceof Tensor)) fail(op, `dict.moments[${key}].${name}`, 'a Tensor', t);
        t.assertUsable(op, `dict.moments[${key}].${name}`);
        if (t.shape.length !== p.shape.length || t.shape.some((d, k) => d !== p.shape[k])) {
          throw new HypercolumnError(`${op}: dict.moments[${key}].${name} expected shape [${p.shape.join(', ')}], got [${t.shape.join(', ')}]`, op, `dict.moments[${key}].${name}`);
        }
      }
      if (!Number.isSafeInteger(s.step) || s.step < 1) fail(op, `dict.moments[${key}].step`, 'a positive integer', s.step);
      return [p, s] as const;
    });
    this._lr = lr;
    for (const old of this.state.values()) {
      old.m.dispose();
      old.v.dispose();
    }
    this.state.clear();
    noGrad(() => {
      for (const [p, s] of entries) {
        const m = keep(zeros([...p.shape], { backend: p.backend }));
        const v = keep(zeros([...p.shape], { backend: p.backend }));
        m.assign(s.m.backend === p.backend ? s.m : s.m.to(p.backend));
        v.assign(s.v.backend === p.backend ? s.v : s.v.to(p.backend));
        this.state.set(p, { m, v, step: s.step });
      }
    });
  }

  /** Frees the moment buffers (the parameters stay). */
  dispose(): void {
    for (const s of this.state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.state.clear();
  }
}

/** AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay p ← p − lr·wd·p (default wd 1e-2), as torch.optim.AdamW. */
export class AdamW extends Adam {
  constructor(params: ParamsInput, options: AdamOptions = {}) {
    super(params, options, true);
  }
}
