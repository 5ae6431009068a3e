// Float64 definitions the installed packages are compared with, written from the textbook formulas
// (PyTorch semantics), independent of the library's code.

export interface Spec { shape: number[]; data: number[] }

/** mulberry32: deterministic test inputs, uniform in [-1, 1). */
export function uniform(shape: number[], seed: number): Spec {
  let a = seed >>> 0;
  const size = shape.reduce((p, d) => p * d, 1);
  const data: number[] = [];
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    // round to float32 so both sides start from the same numbers
    data.push(Math.fround((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1));
  }
  return { shape, data };
}

/** Cross-correlation, x [N,C,H,W], w [O,C,kh,kw], symmetric zero padding p, stride s. */
export function conv2d64(x: Spec, w: Spec, b: number[] | null, stride: number, pad: number): Spec {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, , kh, kw] = w.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((wd + 2 * pad - kw) / stride) + 1;
  const data: number[] = [];
  for (let ni = 0; ni < n; ni++)
    for (let oi = 0; oi < o; oi++)
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++) {
          let acc = b ? b[oi]! : 0;
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const yi = y * stride - pad + i;
                const xi = xo * stride - pad + j;
                if (yi < 0 || yi >= h || xi < 0 || xi >= wd) continue;
                acc += x.data[((ni * c + ci) * h + yi) * wd + xi]! * w.data[((oi * c + ci) * kh + i) * kw + j]!;
              }
          data.push(acc);
        }
  return { shape: [n, o, oh, ow], data };
}

/** Max pooling with -inf padding: the maximum over the in-bounds part of each window. */
export function maxPool2d64(x: Spec, k: number, stride: number, pad: number): Spec {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((wd + 2 * pad - k) / stride) + 1;
  const data: number[] = [];
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++) {
        let m = -Infinity;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const yi = y * stride - pad + i;
            const xi = xo * stride - pad + j;
            if (yi >= 0 && yi < h && xi >= 0 && xi < wd) m = Math.max(m, x.data[(p * h + yi) * wd + xi]!);
          }
        data.push(m);
      }
  return { shape: [n, c, oh, ow], data };
}

/**
 * Training-mode batch norm: normalise with the batch mean and biased variance per channel; running
 * statistics move by `momentum` towards the batch mean and the unbiased variance.
 */
export function batchNormTraining64(x: Spec, runningMean: number[], runningVar: number[], weight: number[], bias: number[], momentum: number, eps: number) {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const count = n * h * w;
  const y = new Array<number>(x.data.length);
  const newMean: number[] = [];
  const newVar: number[] = [];
  for (let ci = 0; ci < c; ci++) {
    const idx: number[] = [];
    for (let ni = 0; ni < n; ni++) for (let s = 0; s < h * w; s++) idx.push((ni * c + ci) * h * w + s);
    const mean = idx.reduce((a, i) => a + x.data[i]!, 0) / count;
    const sq = idx.reduce((a, i) => a + (x.data[i]! - mean) ** 2, 0);
    const inv = 1 / Math.sqrt(sq / count + eps);
    for (const i of idx) y[i] = (x.data[i]! - mean) * inv * weight[ci]! + bias[ci]!;
    newMean.push((1 - momentum) * runningMean[ci]! + momentum * mean);
    newVar.push((1 - momentum) * runningVar[ci]! + momentum * (sq / (count - 1)));
  }
  return { y: { shape: x.shape, data: y }, runningMean: newMean, runningVar: newVar };
}

export interface TrainParams { convWeight: Spec; convBias: Spec; linearWeight: Spec; linearBias: Spec }

/** Mean cross-entropy of linear(flatten(relu(conv2d(x)))), and the smallest |pre-activation| (ReLU kinks). */
export function trainLoss64(x: Spec, p: TrainParams, labels: number[], stride: number, pad: number) {
  const z = conv2d64(x, p.convWeight, p.convBias.data, stride, pad);
  const n = x.shape[0]!;
  const features = z.data.length / n;
  const [k] = p.linearWeight.shape as [number, number];
  let loss = 0;
  for (let ni = 0; ni < n; ni++) {
    const hidden = z.data.slice(ni * features, (ni + 1) * features).map((v) => Math.max(v, 0));
    const logits: number[] = [];
    for (let ki = 0; ki < k; ki++) {
      let acc = p.linearBias.data[ki]!;
      for (let f = 0; f < features; f++) acc += hidden[f]! * p.linearWeight.data[ki * features + f]!;
      logits.push(acc);
    }
    const max = Math.max(...logits);
    const logSumExp = max + Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0));
    loss += logSumExp - logits[labels[ni]!]!;
  }
  return { loss: loss / n, smallestPreActivation: Math.min(...z.data.map(Math.abs)) };
}

/** One SGD step (no momentum) with gradients by central differences of the float64 loss. */
export function sgdStep64(x: Spec, p: TrainParams, labels: number[], stride: number, pad: number, lr: number) {
  const h = 1e-6;
  const { loss, smallestPreActivation } = trainLoss64(x, p, labels, stride, pad);
  // a pre-activation within h of a ReLU kink would make the difference quotient meaningless
  if (smallestPreActivation < 1e-3) throw new Error(`pick other training inputs: a pre-activation is ${smallestPreActivation}`);
  const updated: Record<string, number[]> = {};
  for (const name of Object.keys(p) as (keyof TrainParams)[]) {
    updated[name] = p[name].data.map((v, i) => {
      const at = (value: number) => {
        const data = p[name].data.slice();
        data[i] = value;
        return trainLoss64(x, { ...p, [name]: { shape: p[name].shape, data } }, labels, stride, pad).loss;
      };
      return v - (lr * (at(v + h) - at(v - h))) / (2 * h);
    });
  }
  return { loss, params: updated };
}
