import { flushAll, noGrad, scope } from '../engine.js';
import { zeros } from '../ops/creation.js';
import { fail } from '../errors.js';
import { add, div, maximum, minimum, mul, sqrt } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import { checkFinite, checkOptions } from '../validate.js';
import { namedParams, type ParamsInput } from './params.js';

export interface AdaptiveGradClipOptions {
  /** λ: the largest allowed ‖G_unit‖ / max(‖W_unit‖, eps) (default 0.01). */
  clipping?: number;
  /** Floor on the weight norm, so zero-initialised weights can still move (default 1e-3). */
  eps?: number;
  /**
   * Parameters left unclipped (the NFNets recipe excludes the final classifier): a list of
   * tensors, or a predicate on (name, tensor); names are dotted module names when a Module or
   * [name, tensor] pairs were passed, positions ("0", "1", …) otherwise.
   */
  exclude?: readonly Tensor[] | ((name: string, param: Tensor) => boolean);
}

/** ‖x‖ per unit, keeping dims: over every axis but the first for rank ≥ 2, over all for rank ≤ 1. */
function unitwiseNorm(x: Tensor): Tensor {
  const axes = x.rank >= 2 ? Array.from({ length: x.rank - 1 }, (_, i) => i + 1) : undefined;
  return sqrt(sum(mul(x, x), axes, true));
}

/**
 * Adaptive gradient clipping (Brock et al. 2021, NFNets), unit-wise, in place on `.grad`:
 * maxNorm = clipping·max(‖W_u‖, eps); where ‖G_u‖ > maxNorm, G_u ← G_u·maxNorm/max(‖G_u‖, 1e-6).
 * A unit is one output unit: a row of a Linear weight, an output channel of a conv weight (norm
 * over every axis but the first); a rank-0/1 parameter (bias, gain) is one vector.
 *
 * The factor is computed on the device without a read-back as min(1, maxNorm / max(‖G_u‖,
 * min(1e-6, maxNorm))): identical to the rule above except when maxNorm < ‖G_u‖ < 1e-6, where the
 * reference would shrink below maxNorm and this gives exactly maxNorm (maxNorm ≥ 1e-6 whenever
 * clipping·eps ≥ 1e-6, as with the defaults). Parameters without a gradient are skipped.
 */
export function adaptiveGradClip(params: ParamsInput, options: AdaptiveGradClipOptions = {}): void {
  const op = 'adaptiveGradClip';
  const list = namedParams(op, params);
  const opts = checkOptions<AdaptiveGradClipOptions>(op, options, ['clipping', 'eps', 'exclude']);
  const clipping = checkFinite(op, 'clipping', opts.clipping ?? 0.01, 0);
  const eps = checkFinite(op, 'eps', opts.eps ?? 1e-3, 0);
  const exclude = opts.exclude;
  let isExcluded: (name: string, p: Tensor) => boolean = () => false;
  if (typeof exclude === 'function') isExcluded = exclude;
  else if (Array.isArray(exclude)) {
    const set = new Set<Tensor>(exclude);
    isExcluded = (_n, p) => set.has(p);
  } else if (exclude !== undefined) fail(op, 'exclude', 'an array of tensors or a function (name, param) => boolean', exclude);
  noGrad(() => {
    for (const [name, p] of list) {
      const g = p.grad;
      if (!g || isExcluded(name, p)) continue;
      g.assertUsable(op, `${name}.grad`);
      scope(() => {
        const maxNorm = mul(maximum(unitwiseNorm(p), eps), clipping);
        const gradNorm = unitwiseNorm(g);
        const factor = minimum(div(maxNorm, maximum(gradNorm, minimum(maxNorm, 1e-6))), 1);
        g.assign(mul(g, factor));
      });
    }
  });
}

/**
 * Scales all gradients together so their global L2 norm is at most `maxNorm` (PyTorch
 * clip_grad_norm_): total = ‖(‖g_1‖, …, ‖g_n‖)‖, every grad ×= min(1, maxNorm/(total + 1e-6)).
 * Returns the total norm before clipping as a scalar tensor on the gradients' backend (as PyTorch
 * does): clipping happens on the device and nothing is read back; read it with `itemAsync()`.
 * Parameters without a gradient are ignored; with none at all the norm is 0.
 */
export function clipGradNorm(params: ParamsInput, maxNorm: number): Tensor {
  const op = 'clipGradNorm';
  const list = namedParams(op, params);
  const limit = checkFinite(op, 'maxNorm', maxNorm, 0);
  const grads = list.map(([, p]) => p.grad).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return zeros([], { backend: list[0]?.[1].backend });
  grads.forEach((g, i) => g.assertUsable(op, `grad ${i}`));
  const total = noGrad(() =>
    scope(() => {
      const norms = grads.map((g) => sqrt(sum(mul(g, g))));
      let squares = mul(norms[0]!, norms[0]!);
      for (let i = 1; i < norms.length; i++) squares = add(squares, mul(norms[i]!, norms[i]!));
      const total = sqrt(squares);
      const coef = minimum(div(limit, add(total, 1e-6)), 1);
      for (const g of grads) g.assign(mul(g, coef));
      return total;
    }),
  );
  flushAll();
  return total;
}
