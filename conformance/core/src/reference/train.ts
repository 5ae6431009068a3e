/** Training-step references (for the training checks): AGC and PyTorch's SGD rule, float64. */
import { type F64, clone, numel } from './array.js';

/**
 * Adaptive gradient clipping (Brock et al. 2021, DESIGN §3), unit-wise. A unit is one output unit:
 * a row of a Linear weight / one output channel of a conv weight (axis 0); a rank-≤1 parameter
 * (bias, gain) is one vector unit. maxNorm = clipping·max(‖W_u‖, eps); where ‖G_u‖ > maxNorm,
 * G_u ← G_u · maxNorm / max(‖G_u‖, 1e-6). Returns the clipped gradient.
 */
export function agc(param: F64, grad: F64, opts: { clipping?: number; eps?: number } = {}): F64 {
  const clipping = opts.clipping ?? 0.01;
  const eps = opts.eps ?? 1e-3;
  const units = param.shape.length <= 1 ? 1 : param.shape[0];
  const per = numel(param.shape) / units;
  const out = clone(grad);
  for (let u = 0; u < units; u++) {
    let wn = 0;
    let gn = 0;
    for (let k = 0; k < per; k++) {
      wn += param.data[u * per + k] ** 2;
      gn += grad.data[u * per + k] ** 2;
    }
    wn = Math.sqrt(wn);
    gn = Math.sqrt(gn);
    const maxNorm = clipping * Math.max(wn, eps);
    if (gn > maxNorm) {
      const f = maxNorm / Math.max(gn, 1e-6);
      for (let k = 0; k < per; k++) out.data[u * per + k] = grad.data[u * per + k] * f;
    }
  }
  return out;
}

export interface SgdOpts {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * One SGD step, PyTorch's rule: g ← g + wd·p; buf ← g (first step) or μ·buf + (1 − τ)·g;
 * g ← g + μ·buf (nesterov) or buf; p ← p − lr·g. Returns the new parameter and momentum buffer.
 */
export function sgdStep(param: F64, grad: F64, buffer: F64 | undefined, opts: SgdOpts): { param: F64; buffer: F64 | undefined } {
  const mu = opts.momentum ?? 0;
  const damp = opts.dampening ?? 0;
  const wd = opts.weightDecay ?? 0;
  const p = clone(param);
  const buf = mu !== 0 ? (buffer ? clone(buffer) : undefined) : undefined;
  const newBuf = mu !== 0 ? clone(grad) : undefined;
  for (let i = 0; i < p.data.length; i++) {
    let g = grad.data[i] + wd * param.data[i];
    if (mu !== 0) {
      const b = buf ? mu * buf.data[i] + (1 - damp) * g : g;
      newBuf!.data[i] = b;
      g = opts.nesterov ? g + mu * b : b;
    }
    p.data[i] = param.data[i] - opts.lr * g;
  }
  return { param: p, buffer: newBuf };
}
