/**
 * Whole small networks in float64, composed from the reference ops (conv, batch norm, relu, pools,
 * linear, cross-entropy), plus scaled weight standardization (WSConv2d) and residual blocks written
 * from their definitions. A network is a list of layer descriptions (plain data); its parameters are
 * named as the equivalent hypercolumn `nn.Sequential` names them ("0.weight", "1.body.1.gain", …).
 *
 * Gradients are central finite differences of the float64 loss; every evaluation also returns the
 * network's piecewise-linear pattern (relu signs, max-pool winners), and a step that changes the
 * pattern (straddles a kink) is retried with a smaller step, so FD never differentiates across one.
 */
import { type F64, f64, numel } from './array.js';
import { type ConvOpts, conv2d } from './conv.js';
import { crossEntropy, linear } from './dense.js';
import { batchNorm } from './norm.js';
import { globalAvgPool2d, maxPool2d, type PoolOpts } from './pool.js';
import { agc, type SgdOpts, sgdStep } from './train.js';

export type Layer =
  | { type: 'conv'; in: number; out: number; k: [number, number]; opts?: ConvOpts; bias?: boolean; ws?: boolean; wsEps?: number }
  | { type: 'bn'; c: number; eps?: number; momentum?: number }
  | { type: 'relu' }
  | { type: 'maxpool'; opts: PoolOpts & { kernelSize: number } }
  | { type: 'gap' }
  | { type: 'flatten' }
  | { type: 'linear'; in: number; out: number; bias?: boolean }
  | { type: 'residual'; body: Layer[]; alpha?: number; beta?: number };

export interface ParamInfo {
  name: string;
  shape: number[];
  /** Initial value kind: 'weight' (drawn), 'gain' (around 1), 'zero'/'one' (buffers). */
  kind: 'param' | 'buffer';
}

/** Parameters and buffers of a layer list, in hypercolumn's registration order. */
export function netParams(layers: readonly Layer[], prefix = ''): ParamInfo[] {
  const out: ParamInfo[] = [];
  layers.forEach((l, i) => {
    const p = `${prefix}${i}.`;
    if (l.type === 'conv') {
      const cg = l.in / (l.opts?.groups ?? 1);
      out.push({ name: `${p}weight`, shape: [l.out, cg, ...l.k], kind: 'param' });
      if (l.bias !== false) out.push({ name: `${p}bias`, shape: [l.out], kind: 'param' });
      if (l.ws) out.push({ name: `${p}gain`, shape: [l.out], kind: 'param' });
    } else if (l.type === 'bn') {
      out.push({ name: `${p}weight`, shape: [l.c], kind: 'param' }, { name: `${p}bias`, shape: [l.c], kind: 'param' });
      out.push({ name: `${p}runningMean`, shape: [l.c], kind: 'buffer' }, { name: `${p}runningVar`, shape: [l.c], kind: 'buffer' });
    } else if (l.type === 'linear') {
      out.push({ name: `${p}weight`, shape: [l.out, l.in], kind: 'param' });
      if (l.bias !== false) out.push({ name: `${p}bias`, shape: [l.out], kind: 'param' });
    } else if (l.type === 'residual') out.push(...netParams(l.body, `${p}body.`));
  });
  return out;
}

/** Scaled weight standardization: Ŵ = gain·(W − mean)/√(var·fanIn + eps), stats per output channel (biased var). */
export function standardizeWeight(w: F64, gain: F64, eps: number): F64 {
  const O = w.shape[0];
  const fanIn = numel(w.shape) / O;
  const out = f64(w.shape);
  for (let o = 0; o < O; o++) {
    let s = 0;
    for (let k = 0; k < fanIn; k++) s += w.data[o * fanIn + k];
    const m = s / fanIn;
    let v = 0;
    for (let k = 0; k < fanIn; k++) v += (w.data[o * fanIn + k] - m) ** 2;
    v /= fanIn;
    const scale = gain.data[o] / Math.sqrt(v * fanIn + eps);
    for (let k = 0; k < fanIn; k++) out.data[o * fanIn + k] = (w.data[o * fanIn + k] - m) * scale;
  }
  return out;
}

/** Index of the max of each max-pool window (the pattern of the piecewise-linear max); −1 if none is positive-unique. */
function maxPoolWinners(x: F64, k: number, stride: number): number[] {
  const [N, C, H, W] = x.shape;
  const OH = Math.floor((H - k) / stride) + 1;
  const OW = Math.floor((W - k) / stride) + 1;
  const out: number[] = [];
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        let best = -Infinity;
        let at = -1;
        for (let p = 0; p < k; p++)
          for (let q = 0; q < k; q++) {
            const v = x.data[(nc * H + i * stride + p) * W + j * stride + q];
            if (v > best) {
              best = v;
              at = p * k + q;
            }
          }
        out.push(best > 0 ? at : -1); // all-zero windows (after relu) tie, but carry no gradient
      }
  return out;
}

export interface NetForward {
  out: F64;
  /** relu signs and max-pool winners, in order: equal patterns ⇒ the same linear piece. */
  pattern: number[];
  /** Running statistics after the forward (batch norm in training mode). */
  buffers: Record<string, F64>;
}

/** Forward of a layer list; batch norm in training mode (batch statistics) when `training`. */
export function netForward(layers: readonly Layer[], params: Record<string, F64>, x: F64, training: boolean, prefix = '', pattern: number[] = [], buffers: Record<string, F64> = {}): NetForward {
  let h = x;
  layers.forEach((l, i) => {
    const p = `${prefix}${i}.`;
    if (l.type === 'conv') {
      const w = l.ws ? standardizeWeight(params[`${p}weight`], params[`${p}gain`], l.wsEps ?? 1e-4) : params[`${p}weight`];
      h = conv2d(h, w, l.bias !== false ? params[`${p}bias`] : undefined, l.opts ?? {});
    } else if (l.type === 'bn') {
      const rm = params[`${p}runningMean`] ?? f64([l.c]);
      const rv = params[`${p}runningVar`] ?? f64([l.c], new Array(l.c).fill(1));
      const r = batchNorm(h, rm, rv, params[`${p}weight`], params[`${p}bias`], { training, eps: l.eps, momentum: l.momentum });
      buffers[`${p}runningMean`] = r.runningMean;
      buffers[`${p}runningVar`] = r.runningVar;
      h = r.y;
    } else if (l.type === 'relu') {
      for (const v of h.data) pattern.push(v > 0 ? 1 : 0);
      h = { shape: h.shape, data: h.data.map((v) => Math.max(v, 0)) };
    } else if (l.type === 'maxpool') {
      const stride = typeof l.opts.stride === 'number' ? l.opts.stride : l.opts.kernelSize;
      pattern.push(...maxPoolWinners(h, l.opts.kernelSize, stride));
      h = maxPool2d(h, l.opts);
    } else if (l.type === 'gap') h = globalAvgPool2d(h);
    else if (l.type === 'flatten') h = { shape: [h.shape[0], numel(h.shape.slice(1))], data: h.data };
    else if (l.type === 'linear') h = linear(h, params[`${p}weight`], l.bias !== false ? params[`${p}bias`] : undefined);
    else if (l.type === 'residual') {
      const beta = l.beta ?? 1;
      const alpha = l.alpha ?? 1;
      const input = { shape: h.shape, data: h.data.map((v) => v / beta) };
      const branch = netForward(l.body, params, input, training, `${p}body.`, pattern, buffers).out;
      if (branch.data.length !== h.data.length) throw new Error('reference residual: shape mismatch');
      const skip = h;
      h = { shape: skip.shape, data: skip.data.map((v, k) => v + alpha * branch.data[k]) };
    }
  });
  return { out: h, pattern, buffers };
}

/** Loss of the network (mean cross-entropy) with its pattern. */
export function netLoss(layers: readonly Layer[], params: Record<string, F64>, x: F64, labels: ArrayLike<number>, training = true): NetForward & { loss: number } {
  const f = netForward(layers, params, x, training);
  return { ...f, loss: crossEntropy(f.out, labels).data[0] };
}

const samePattern = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Central finite differences of `loss` w.r.t. every element of params[names], step h; a step whose
 * +h or −h evaluation changes the piecewise-linear pattern is retried with h/10 (down to 1e-9).
 */
export function fdGradients(
  loss: (params: Record<string, F64>) => { loss: number; pattern: number[] },
  params: Record<string, F64>,
  names: readonly string[],
  h0 = 1e-5,
): Record<string, F64> {
  const base = loss(params);
  const grads: Record<string, F64> = {};
  for (const name of names) {
    const x = params[name];
    const g = f64(x.shape);
    for (let j = 0; j < x.data.length; j++) {
      let h = h0;
      for (;;) {
        const at = (delta: number) => {
          const copy = Float64Array.from(x.data);
          copy[j] += delta;
          return loss({ ...params, [name]: { shape: x.shape, data: copy } });
        };
        const plus = at(h);
        const minus = at(-h);
        if (samePattern(plus.pattern, base.pattern) && samePattern(minus.pattern, base.pattern)) {
          g.data[j] = (plus.loss - minus.loss) / (2 * h);
          break;
        }
        h /= 10;
        if (h < 1e-9) throw new Error(`reference FD: ${name}[${j}] sits on a kink`);
      }
    }
    grads[name] = g;
  }
  return grads;
}

export const maxAbs = (a: F64): number => a.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * The SGD rule run on magnitudes with every sign positive: m ← m + lr·step(|g| + wd·m), so m bounds
 * the sum of |terms| that reach the parameter (DESIGN §3's m). `gAbs(i)`: the gradient magnitude.
 */
export function sgdMagnitudeStep(m: F64, buffer: F64 | undefined, gAbs: (i: number) => number, opts: SgdOpts): { magnitude: F64; buffer: F64 | undefined } {
  const mu = opts.momentum ?? 0;
  const out = f64(m.shape);
  const buf = mu !== 0 ? f64(m.shape) : undefined;
  for (let i = 0; i < m.data.length; i++) {
    const d = gAbs(i) + (opts.weightDecay ?? 0) * m.data[i];
    let step = d;
    if (buf) {
      const b = buffer ? mu * buffer.data[i] + Math.abs(1 - (opts.dampening ?? 0)) * d : d;
      buf.data[i] = b;
      step = opts.nesterov ? d + mu * b : b;
    }
    out.data[i] = m.data[i] + opts.lr * step;
  }
  return { magnitude: out, buffer: buf };
}

export interface TrainOpts {
  steps: number;
  sgd: SgdOpts;
  /** AGC before each step; `exclude` lists parameter names left unclipped. */
  agc?: { clipping?: number; eps?: number; exclude?: readonly string[] };
}

export interface TrainResult {
  params: Record<string, F64>;
  buffers: Record<string, F64>;
  /**
   * Per element: the SGD recurrence run on magnitudes (|p₀|, and each step's gradient replaced by
   * its tensor's largest |g|: the scale of that gradient's float32 error), i.e. the sum of the
   * |terms| that reach the final parameter.
   */
  magnitudes: Record<string, F64>;
  losses: number[];
  /** Number of (step, unit) pairs AGC clipped (so a case can show clipping was active). */
  clipped: number;
}

/** `steps` SGD steps (optionally AGC first) in float64; gradients by central finite differences. */
export function trainReference(layers: readonly Layer[], params0: Record<string, F64>, x: F64, labels: ArrayLike<number>, opts: TrainOpts): TrainResult {
  const names = netParams(layers).filter((p) => p.kind === 'param').map((p) => p.name);
  let params: Record<string, F64> = { ...params0 };
  const bufs: Record<string, F64 | undefined> = {};
  const mags: Record<string, F64> = {};
  const magBufs: Record<string, F64 | undefined> = {};
  for (const n of names) mags[n] = { shape: params[n].shape, data: params[n].data.map(Math.abs) };
  const losses: number[] = [];
  let clipped = 0;
  let buffers: Record<string, F64> = {};
  for (let s = 0; s < opts.steps; s++) {
    const f = netLoss(layers, params, x, labels, true);
    losses.push(f.loss);
    buffers = f.buffers;
    const grads = fdGradients((p) => netLoss(layers, p, x, labels, true), params, names);
    const next: Record<string, F64> = { ...params, ...Object.fromEntries(Object.entries(f.buffers).map(([k, v]) => [k, { shape: v.shape, data: v.data }])) };
    for (const n of names) {
      let g = grads[n];
      if (opts.agc && !(opts.agc.exclude ?? []).includes(n)) {
        const c = agc(params[n], g, opts.agc);
        for (let i = 0; i < c.data.length; i++) if (c.data[i] !== g.data[i]) {
          clipped++;
          break;
        }
        g = c;
      }
      const r = sgdStep(params[n], g, bufs[n], opts.sgd);
      next[n] = r.param;
      bufs[n] = r.buffer;
      const gm = maxAbs(g);
      const m = sgdMagnitudeStep(mags[n], magBufs[n], () => gm, opts.sgd);
      mags[n] = m.magnitude;
      magBufs[n] = m.buffer;
    }
    params = next;
  }
  return { params: Object.fromEntries(names.map((n) => [n, params[n]])), buffers, magnitudes: mags, losses, clipped };
}
