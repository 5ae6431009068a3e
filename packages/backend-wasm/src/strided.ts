import type { WasmBackend } from './backend.js';

/** Contiguous (row-major) strides of a shape, in elements. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let i = shape.length - 1, acc = 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Strides of `shape` broadcast (NumPy, right-aligned) to `out`: 0 on broadcast axes. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  const lead = out.length - shape.length;
  return out.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]!));
}

/**
 * Drops size-1 axes and merges neighbours that stay affine in every stride list, so most calls
 * reach the kernel as ≤ 4 axes with a long contiguous last axis.
 */
export function collapse(dims: readonly number[], strides: readonly (readonly number[])[]): { dims: number[]; strides: number[][] } {
  const d: number[] = [];
  const s: number[][] = strides.map(() => []);
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = d.length - 1;
    if (last >= 0 && strides.every((st, k) => s[k]![last] === st[i]! * dims[i]!)) {
      d[last]! *= dims[i]!;
      strides.forEach((st, k) => (s[k]![last] = st[i]!));
    } else {
      d.push(dims[i]!);
      strides.forEach((st, k) => s[k]!.push(st[i]!));
    }
  }
  return { dims: d, strides: s };
}

/** The first `lead` axes enumerated as (index tuple → element offsets per stride list). */
function* leadingOffsets(dims: number[], strides: number[][], lead: number): Generator<number[]> {
  const idx = new Array<number>(lead).fill(0);
  const total = dims.slice(0, lead).reduce((a, b) => a * b, 1);
  for (let t = 0; t < total; t++) {
    yield strides.map((st) => idx.reduce((acc, v, k) => acc + v * st[k]!, 0));
    for (let k = lead - 1; k >= 0; k--) {
      if (++idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
}

/**
 * y (contiguous, `outShape`) = op(a, b) with element strides per axis of outShape (0 = broadcast);
 * op codes as in assembly/elementwise.ts `strided`.
 */
export function stridedOp(
  be: WasmBackend, op: number, a: number, aStrides: readonly number[], b: number, bStrides: readonly number[],
  y: number, outShape: readonly number[],
): void {
  const ys = contiguousStrides(outShape);
  const c = collapse(outShape, [aStrides, bStrides, ys]);
  let dims = c.dims, [as, bs, yst] = c.strides as [number[], number[], number[]];
  if (dims.length === 0) {
    dims = [1];
    as = [0];
    bs = [0];
    yst = [1];
  }
  const lead = Math.max(0, dims.length - 4);
  const tail = (v: number[]) => [...new Array<number>(Math.max(0, 4 - v.length)).fill(0), ...v.slice(lead)];
  const td = [...new Array<number>(Math.max(0, 4 - dims.length)).fill(1), ...dims.slice(lead)];
  const ta = tail(as), tb = tail(bs);
  const rows = td[0]! * td[1]! * td[2]!;
  for (const [ao, bo, yo] of leadingOffsets(dims, [as, bs, yst], lead)) {
    be.exec('strided', [op, a + ao! * 4, b + bo! * 4, y + yo! * 4, td[1]!, td[2]!, td[3]!, ...ta, ...tb], rows, td[3]!);
  }
}
