import type { CpuKernel } from '../backend.js';

/** Reverses the last two axes of a tensor of rank ≥ 2: y[..., i, j] = x[..., H−1−i, W−1−j]. */
export const reverseSpatial: CpuKernel<'reverseSpatial'> = ({ x }) => {
  const shape = x.shape;
  const r = shape.length;
  const H = r >= 2 ? shape[r - 2] : 1;
  const W = r >= 1 ? shape[r - 1] : 1;
  const src = x.data;
  const y = new Float32Array(src.length);
  const plane = H * W;
  if (plane === 0) return y;
  const planes = src.length / plane;
  for (let p = 0; p < planes; p++) {
    const base = p * plane;
    for (let i = 0; i < H; i++) {
      const s = base + (H - 1 - i) * W + W - 1;
      const d = base + i * W;
      for (let j = 0; j < W; j++) y[d + j] = src[s - j];
    }
  }
  return y;
};
