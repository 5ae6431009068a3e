/** Activations applied in place by the fused kernels. */

/** y ← max(y, 0) in place; NaN propagates (as torch.relu). */
export function reluInPlace(y: Float32Array): void {
  for (let i = 0, n = y.length; i < n; i++) {
    const v = y[i]!;
    if (!(v > 0) && v === v) y[i] = 0; // −0 → 0 like the relu kernel
  }
}
