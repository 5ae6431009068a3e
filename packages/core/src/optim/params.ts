import { fail } from '../errors.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor.js';

/** What optimizers and clipping functions accept: tensors, [name, tensor] pairs, or a module. */
export type ParamsInput = Iterable<Tensor> | Iterable<readonly [string, Tensor]> | Module;

/**
 * Normalises `params` to [name, tensor] pairs (unnamed tensors are named by position "0", "1", …),
 * checking each is a live leaf Tensor and none repeats.
 */
export function namedParams(op: string, params: unknown): [string, Tensor][] {
  if (params instanceof Module) return params.namedParameters();
  if (params instanceof Tensor) fail(op, 'params', 'an iterable of tensors (wrap a single tensor in [ ])', params);
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    fail(op, 'params', 'an iterable of tensors, of [name, tensor] pairs, or a Module', params);
  }
  const out: [string, Tensor][] = [];
  const seen = new Set<Tensor>();
  let i = 0;
  for (const item of params as Iterable<unknown>) {
    const arg = `params[${i}]`;
    let name = String(i);
    let t: unknown = item;
    if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string') [name, t] = item as [string, unknown];
    if (!(t instanceof Tensor)) fail(op, arg, 'a Tensor (or a [name, tensor] pair)', t);
    t.assertUsable(op, arg);
    if (t.gradNode) fail(op, arg, 'a leaf tensor (a parameter), not one computed by an op', t.shape);
    if (seen.has(t)) fail(op, arg, 'each parameter once', `a repeated tensor of shape [${t.shape.join(', ')}]`);
    seen.add(t);
    out.push([name, t]);
    i++;
  }
  return out;
}

/** Moves a step's fresh result into the parameter or state tensor it replaces (its storage is swapped in). */
export function swapIn(target: Tensor, value: Tensor): void {
  target.assign(value);
  value.dispose();
}

/** Sets every parameter's `.grad` to null, disposing it (PyTorch's `zero_grad(set_to_none=True)`). */
export function clearGrads(params: Iterable<Tensor>): void {
  for (const p of params) {
    if (p.grad) {
      p.grad.dispose();
      p.grad = null;
    }
  }
}
