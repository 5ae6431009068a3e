import type { CpuKernel } from '../backend.js';
import { broadcastBinary, type BinaryRun } from '../util/broadcast.js';

/*
 * Every elementwise kernel. Binaries share one broadcasting loop (util/broadcast.ts, NumPy rules,
 * outShape from core); each op only supplies its run: contiguous-contiguous, contiguous-scalar and
 * scalar-contiguous loops, written out per op so the JIT sees monomorphic arithmetic.
 */

const addRun: BinaryRun = (a, ai, as, b, bi, bs, y, yi, n) => {
  if (as === bs) {
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!, q = b[bi + i]!;
      y[yi + i] = p + q;
    }
  } else if (bs === 0) {
    const s = b[bi]!;
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!;
      y[yi + i] = p + s;
    }
  } else {
    const s = a[ai]!;
    for (let i = 0; i < n; i++) {
      const q = b[bi + i]!;
      y[yi + i] = s + q;
    }
  }
};

/** Elementwise a + b. */
export const add: CpuKernel<'add'> = ({ a, b }, { outShape }) =>
  broadcastBinary(a.data, a.shape, b.data, b.shape, outShape, addRun);

const subRun: BinaryRun = (a, ai, as, b, bi, bs, y, yi, n) => {
  if (as === bs) {
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!, q = b[bi + i]!;
      y[yi + i] = p - q;
    }
  } else if (bs === 0) {
    const s = b[bi]!;
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!;
      y[yi + i] = p - s;
    }
  } else {
    const s = a[ai]!;
    for (let i = 0; i < n; i++) {
      const q = b[bi + i]!;
      y[yi + i] = s - q;
    }
  }
};

/** Elementwise a − b. */
export const sub: CpuKernel<'sub'> = ({ a, b }, { outShape }) =>
  broadcastBinary(a.data, a.shape, b.data, b.shape, outShape, subRun);

const mulRun: BinaryRun = (a, ai, as, b, bi, bs, y, yi, n) => {
  if (as === bs) {
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!, q = b[bi + i]!;
      y[yi + i] = p * q;
    }
  } else if (bs === 0) {
    const s = b[bi]!;
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!;
      y[yi + i] = p * s;
    }
  } else {
    const s = a[ai]!;
    for (let i = 0; i < n; i++) {
      const q = b[bi + i]!;
      y[yi + i] = s * q;
    }
  }
};

/** Elementwise a · b. */
export const mul: CpuKernel<'mul'> = ({ a, b }, { outShape }) =>
  broadcastBinary(a.data, a.shape, b.data, b.shape, outShape, mulRun);

const divRun: BinaryRun = (a, ai, as, b, bi, bs, y, yi, n) => {
  if (as === bs) {
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!, q = b[bi + i]!;
      y[yi + i] = p / q;
    }
  } else if (bs === 0) {
    const s = b[bi]!;
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!;
      y[yi + i] = p / s;
    }
  } else {
    const s = a[ai]!;
    for (let i = 0; i < n; i++) {
      const q = b[bi + i]!;
      y[yi + i] = s / q;
    }
  }
};

/** Elementwise a / b (IEEE: x/0 = ±Infinity, 0/0 = NaN). */
export const div: CpuKernel<'div'> = ({ a, b }, { outShape }) =>
  broadcastBinary(a.data, a.shape, b.data, b.shape, outShape, divRun);

const maximumRun: BinaryRun = (a, ai, as, b, bi, bs, y, yi, n) => {
  if (as === bs) {
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!, q = b[bi + i]!;
      y[yi + i] = (p > q || p !== p ? p : q);
    }
  } else if (bs === 0) {
    const s = b[bi]!;
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!;
      y[yi + i] = (p > s || p !== p ? p : s);
    }
  } else {
    const s = a[ai]!;
    for (let i = 0; i < n; i++) {
      const q = b[bi + i]!;
      y[yi + i] = (s > q || s !== s ? s : q);
    }
  }
};

/** Elementwise max(a, b); NaN propagates (torch.maximum). */
export const maximum: CpuKernel<'maximum'> = ({ a, b }, { outShape }) =>
  broadcastBinary(a.data, a.shape, b.data, b.shape, outShape, maximumRun);

const minimumRun: BinaryRun = (a, ai, as, b, bi, bs, y, yi, n) => {
  if (as === bs) {
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!, q = b[bi + i]!;
      y[yi + i] = (p < q || p !== p ? p : q);
    }
  } else if (bs === 0) {
    const s = b[bi]!;
    for (let i = 0; i < n; i++) {
      const p = a[ai + i]!;
      y[yi + i] = (p < s || p !== p ? p : s);
    }
  } else {
    const s = a[ai]!;
    for (let i = 0; i < n; i++) {
      const q = b[bi + i]!;
      y[yi + i] = (s < q || s !== s ? s : q);
    }
  }
};

/** Elementwise min(a, b); NaN propagates (torch.minimum). */
export const minimum: CpuKernel<'minimum'> = ({ a, b }, { outShape }) =>
  broadcastBinary(a.data, a.shape, b.data, b.shape, outShape, minimumRun);

/** −x. */
export const neg: CpuKernel<'neg'> = ({ x }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    y[i] = -v;
  }
  return y;
};

/** √x (NaN below 0). */
export const sqrt: CpuKernel<'sqrt'> = ({ x }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    y[i] = Math.sqrt(v);
  }
  return y;
};

/** |x|. */
export const abs: CpuKernel<'abs'> = ({ x }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    y[i] = Math.abs(v);
  }
  return y;
};

/** eˣ. */
export const exp: CpuKernel<'exp'> = ({ x }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    y[i] = Math.exp(v);
  }
  return y;
};

/** ln x (−Infinity at 0, NaN below 0). */
export const log: CpuKernel<'log'> = ({ x }) => {
  const xd = x.data, n = xd.length;
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = xd[i]!;
    y[i] = Math.log(v);
  }
  return y;
};
