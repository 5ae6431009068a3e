/**
 * NumPy broadcasting, shared by the elementwise binaries and broadcastTo. The output is walked as
 * a sequence of contiguous runs: dims of size 1 are dropped and adjacent dims merged wherever every
 * input stays linear across them, so the innermost run is as long as possible and each input
 * moves through it with step 1 (contiguous) or 0 (broadcast). Per-channel [1, C, 1, 1] against
 * [N, C, H, W] becomes runs of H·W against one scalar; an op pays one call per run, not per element.
 */

export interface BroadcastPlan {
  /** Outer (collapsed) dims, outermost first, without the innermost run. */
  dims: number[];
  /** strides[k][d]: element stride of input k along outer dim d (0 where it broadcasts). */
  strides: number[][];
  /** Length of the innermost run. */
  inner: number;
  /** steps[k]: step of input k inside a run, 1 or 0. */
  steps: number[];
}

/** Plans the walk of `outShape` for inputs of `shapes` (each right-aligned, NumPy rules). */
export function planBroadcast(outShape: readonly number[], shapes: readonly (readonly number[])[]): BroadcastPlan {
  const R = outShape.length, K = shapes.length;
  // Per-input strides aligned to the output (0 on broadcast or missing dims).
  const full: number[][] = shapes.map((shape) => {
    const st = new Array<number>(R).fill(0);
    let s = 1;
    for (let i = shape.length - 1, j = R - 1; i >= 0; i--, j--) {
      if (shape[i] !== 1) st[j] = s;
      s *= shape[i]!;
    }
    return st;
  });
  // Collapse from the innermost dim outwards: sizes[], per-input strides[][] (innermost first).
  const sizes: number[] = [];
  const cs: number[][] = shapes.map(() => []);
  for (let j = R - 1; j >= 0; j--) {
    const n = outShape[j]!;
    if (n === 1) continue;
    const last = sizes.length - 1;
    let merge = last >= 0;
    for (let k = 0; k < K && merge; k++) merge = full[k]![j] === cs[k]![last]! * sizes[last]!;
    if (merge) sizes[last]! *= n;
    else {
      sizes.push(n);
      for (let k = 0; k < K; k++) cs[k]!.push(full[k]![j]!);
    }
  }
  if (sizes.length === 0) return { dims: [], strides: shapes.map(() => []), inner: 1, steps: shapes.map(() => 1) };
  return {
    dims: sizes.slice(1).reverse(),
    strides: cs.map((s) => s.slice(1).reverse()),
    inner: sizes[0]!,
    steps: cs.map((s) => s[0]!),
  };
}

/** One contiguous run of a binary op: y[yi + i] = f(a[ai + i·as], b[bi + i·bs]) for i < n. */
export type BinaryRun = (
  a: Float32Array, ai: number, as: number, b: Float32Array, bi: number, bs: number,
  y: Float32Array, yi: number, n: number,
) => void;

/**
 * The broadcasting loop of every binary elementwise op. Fast paths: same shape (one run), scalar
 * on either side (one run); otherwise the planned runs, with an odometer over the outer dims.
 */
export function broadcastBinary(
  a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[],
  outShape: readonly number[], run: BinaryRun,
): Float32Array {
  let size = 1;
  for (let i = 0; i < outShape.length; i++) size *= outShape[i]!;
  const y = new Float32Array(size);
  if (a.length === size && b.length === size) {
    run(a, 0, 1, b, 0, 1, y, 0, size);
    return y;
  }
  if (b.length === 1 && a.length === size) {
    run(a, 0, 1, b, 0, 0, y, 0, size);
    return y;
  }
  if (a.length === 1 && b.length === size) {
    run(a, 0, 0, b, 0, 1, y, 0, size);
    return y;
  }
  const plan = planBroadcast(outShape, [aShape, bShape]);
  const { dims, inner } = plan;
  const sa = plan.strides[0]!, sb = plan.strides[1]!;
  const as = plan.steps[0]!, bs = plan.steps[1]!;
  const nd = dims.length;
  const count = new Int32Array(nd);
  let ao = 0, bo = 0;
  for (let yo = 0; yo < size; yo += inner) {
    run(a, ao, as, b, bo, bs, y, yo, inner);
    for (let d = nd - 1; d >= 0; d--) {
      ao += sa[d]!;
      bo += sb[d]!;
      if (++count[d]! < dims[d]!) break;
      ao -= sa[d]! * dims[d]!;
      bo -= sb[d]! * dims[d]!;
      count[d] = 0;
    }
  }
  return y;
}

/** NumPy broadcast of x (right-aligned) to `shape`: runs are block copies or fills. */
export function broadcastCopy(x: Float32Array, xShape: readonly number[], shape: readonly number[]): Float32Array {
  let size = 1;
  for (let i = 0; i < shape.length; i++) size *= shape[i]!;
  const y = new Float32Array(size);
  if (x.length === size) {
    y.set(x);
    return y;
  }
  if (x.length === 1) {
    y.fill(x[0]!);
    return y;
  }
  const plan = planBroadcast(shape, [xShape]);
  const { dims, inner } = plan;
  const sx = plan.strides[0]!, step = plan.steps[0]!;
  const nd = dims.length;
  const count = new Int32Array(nd);
  let xo = 0;
  for (let yo = 0; yo < size; yo += inner) {
    if (step === 1) y.set(x.subarray(xo, xo + inner), yo);
    else y.fill(x[xo]!, yo, yo + inner);
    for (let d = nd - 1; d >= 0; d--) {
      xo += sx[d]!;
      if (++count[d]! < dims[d]!) break;
      xo -= sx[d]! * dims[d]!;
      count[d] = 0;
    }
  }
  return y;
}
