/**
 * The small networks of the training checks, as data (reference/network.ts evaluates them in
 * float64; training/ops.ts builds the same layers with `hc.nn`). Keys are case attributes.
 */
import type { Layer } from '../reference/network.js';

/**
 * conv(2→3, 3×3, p1, no bias) → BN(train) → relu → maxpool 2 → flatten → linear(27→4) on 2×2×6×6.
 * No conv bias, as usual before batch norm: its exact gradient is 0 (BN subtracts the batch mean),
 * so a per-tensor tolerance scaled by max|∂L/∂b| would compare float32 rounding noise with 0.
 */
const CNN: Layer[] = [
  { type: 'conv', in: 2, out: 3, k: [3, 3], opts: { padding: 1 }, bias: false },
  { type: 'bn', c: 3 },
  { type: 'relu' },
  { type: 'maxpool', opts: { kernelSize: 2 } },
  { type: 'flatten' },
  { type: 'linear', in: 27, out: 4 },
];

/** The same with a strided, grouped, bias-free true-convolution first layer (2×4×8×7 input → 4×4×8 → pooled 4×2×4). */
const CNN_STRIDED: Layer[] = [
  { type: 'conv', in: 4, out: 4, k: [3, 2], opts: { stride: [2, 1], padding: [1, 0, 1, 1], groups: 2, mode: 'convolution' }, bias: false },
  { type: 'bn', c: 4, eps: 1e-3 },
  { type: 'relu' },
  { type: 'maxpool', opts: { kernelSize: 2 } },
  { type: 'flatten' },
  { type: 'linear', in: 32, out: 3 },
];

/** A tiny NF-ResNet: WSConv2d stem, one residual block y = x + α·f(x/β), GAP, linear; 2×2×5×5 input. */
const NF: Layer[] = [
  { type: 'conv', in: 2, out: 3, k: [3, 3], opts: { padding: 1 }, ws: true },
  {
    type: 'residual',
    alpha: 0.4,
    beta: 1.3,
    body: [
      { type: 'relu' },
      { type: 'conv', in: 3, out: 3, k: [3, 3], opts: { padding: 1 }, ws: true },
      { type: 'relu' },
      { type: 'conv', in: 3, out: 3, k: [1, 1], ws: true, wsEps: 1e-3 },
    ],
  },
  { type: 'gap' },
  { type: 'flatten' },
  { type: 'linear', in: 3, out: 3 },
];

/** Training net: conv(1→4, 3×3, p1) → BN → relu → maxpool 2 → flatten → linear(64→3) on 4×1×8×8. */
const TRAIN_CNN: Layer[] = [
  { type: 'conv', in: 1, out: 4, k: [3, 3], opts: { padding: 1 } },
  { type: 'bn', c: 4 },
  { type: 'relu' },
  { type: 'maxpool', opts: { kernelSize: 2 } },
  { type: 'flatten' },
  { type: 'linear', in: 64, out: 3 },
];

export const NETS: Record<string, { layers: Layer[]; input: number[]; classes: number }> = {
  cnn: { layers: CNN, input: [2, 2, 6, 6], classes: 4 },
  cnnStrided: { layers: CNN_STRIDED, input: [2, 4, 8, 7], classes: 3 },
  nf: { layers: NF, input: [2, 2, 5, 5], classes: 3 },
  train: { layers: TRAIN_CNN, input: [4, 1, 8, 8], classes: 3 },
};
