import { fma, hsum, ldf, reluKeepNaN, reluKeepNaNScalar, stf } from './common';
import { sumRange } from './pool';

/** Elements per work unit of the flat kernels (a multiple of 4). */
const CHUNK = 256;

// @ts-ignore: decorator
@inline function unaryScalar(op: i32, v: f32, s: f32): f32 {
  switch (op) {
    case 0: return -v;
    case 1: return Mathf.sqrt(v);
    case 2: return Mathf.abs(v);
    case 3: return Mathf.exp(v);
    case 4: return Mathf.log(v);
    case 5: return reluKeepNaNScalar(v);
    case 6: return <f32>(1.0 / (1.0 + Math.exp(-<f64>v)));
    case 7: return <f32>Math.tanh(<f64>v);
    case 10: return v + s;
    case 11: return v * s;
    case 12: return s / v;
    // f32.max/min like the vector lanes: NaN propagates, max(−0, +0) = +0
    case 13: return max(v, s);
    case 14: return min(v, s);
    case 15: return s;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function unaryVector(op: i32, v: v128, s: v128): v128 {
  switch (op) {
    case 0: return f32x4.neg(v);
    case 1: return f32x4.sqrt(v);
    case 2: return f32x4.abs(v);
    case 5: return reluKeepNaN(v);
    case 10: return f32x4.add(v, s);
    case 11: return f32x4.mul(v, s);
    case 12: return f32x4.div(s, v);
    case 13: return f32x4.max(v, s);
    case 14: return f32x4.min(v, s);
    case 15: return s;
  }
  return v;
}

/**
 * y = op(x[, s]) over n elements: 0 neg, 1 sqrt, 2 abs, 3 exp, 4 log, 5 relu, 6 sigmoid, 7 tanh,
 * 10 +s, 11 ·s, 12 s/x, 13 max(x, s), 14 min(x, s), 15 fill with s. Units: chunks of 256.
 */
export function unary(op: i32, x: usize, y: usize, n: i32, s: f32, lo: i32, hi: i32): void {
  const i1 = min(n, hi * CHUNK);
  let i = lo * CHUNK;
  const vectorized = op <= 2 || op == 5 || op >= 10;
  if (vectorized) {
    const sv = f32x4.splat(s);
    for (; i + 4 <= i1; i += 4) {
      const off = <usize>i << 2;
      v128.store(y + off, unaryVector(op, op == 15 ? sv : v128.load(x + off), sv));
    }
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    stf(y + off, unaryScalar(op, op == 15 ? 0 : ldf(x + off), s));
  }
}

// @ts-ignore: decorator
@inline function binaryScalar(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case 0: return a;
    case 1: return a + b;
    case 2: return a - b;
    case 3: return a * b;
    case 4: return a / b;
    case 5: return max(a, b);
    case 6: return min(a, b);
    case 7: return b > 0 ? a : 0;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function binaryVector(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return a;
    case 1: return f32x4.add(a, b);
    case 2: return f32x4.sub(a, b);
    case 3: return f32x4.mul(a, b);
    case 4: return f32x4.div(a, b);
    case 5: return f32x4.max(a, b);
    case 6: return f32x4.min(a, b);
    case 7: return v128.and(a, f32x4.gt(b, f32x4.splat(0)));
  }
  return a;
}

/**
 * y[i0, i1, i2, i3] = op(a[Σ ik·ask], b[Σ ik·bsk]) with y contiguous over [d0, d1, d2, d3] and
 * strides in elements (0 = broadcast): 0 copy a, 1 add, 2 sub, 3 mul, 4 div, 5 max, 6 min,
 * 7 a where b > 0 (relu gradient). Covers broadcasting, broadcastTo and transposes.
 * Units: rows (i0·d1 + i1)·d2 + i2.
 */
export function strided(
  op: i32, a: usize, b: usize, y: usize, d1: i32, d2: i32, d3: i32,
  as0: i32, as1: i32, as2: i32, as3: i32, bs0: i32, bs1: i32, bs2: i32, bs3: i32, lo: i32, hi: i32,
): void {
  for (let u = lo; u < hi; u++) {
    const i2 = u % d2, r = u / d2, i1 = r % d1, i0 = r / d1;
    const pa = a + (<usize>(i0 * as0 + i1 * as1 + i2 * as2) << 2);
    const pb = b + (<usize>(i0 * bs0 + i1 * bs1 + i2 * bs2) << 2);
    const py = y + (<usize>(u * d3) << 2);
    let j = 0;
    if (as3 == 1 && (bs3 == 1 || bs3 == 0)) {
      if (bs3 == 1) {
        for (; j + 4 <= d3; j += 4) {
          const off = <usize>j << 2;
          v128.store(py + off, binaryVector(op, v128.load(pa + off), v128.load(pb + off)));
        }
      } else {
        const bv = v128.load32_splat(pb);
        for (; j + 4 <= d3; j += 4) {
          const off = <usize>j << 2;
          v128.store(py + off, binaryVector(op, v128.load(pa + off), bv));
        }
      }
    } else if (as3 == 0 && bs3 == 1) {
      const av = v128.load32_splat(pa);
      for (; j + 4 <= d3; j += 4) {
        const off = <usize>j << 2;
        v128.store(py + off, binaryVector(op, av, v128.load(pb + off)));
      }
    }
    for (; j < d3; j++) {
      stf(py + (<usize>j << 2), binaryScalar(op, ldf(pa + (<usize>(j * as3) << 2)), ldf(pb + (<usize>(j * bs3) << 2))));
    }
  }
}

/**
 * y[Σ ik·ysk] += x[i0, i1, i2, i3] with x contiguous over [d0, d1, d2, d3]; ys = 0 on the summed
 * axes. y must be zeroed first. Serial (several x rows add into one y element).
 */
export function reduceAdd(
  x: usize, y: usize, d0: i32, d1: i32, d2: i32, d3: i32, ys0: i32, ys1: i32, ys2: i32, ys3: i32,
): void {
  const rows = d0 * d1 * d2;
  for (let u = 0; u < rows; u++) {
    const i2 = u % d2, r = u / d2, i1 = r % d1, i0 = r / d1;
    const px = x + (<usize>(u * d3) << 2);
    const py = y + (<usize>(i0 * ys0 + i1 * ys1 + i2 * ys2) << 2);
    if (ys3 == 0) {
      stf(py, ldf(py) + sumRange(px, d3));
    } else {
      let j = 0;
      for (; j + 4 <= d3; j += 4) {
        const off = <usize>j << 2;
        v128.store(py + off, f32x4.add(v128.load(py + off), v128.load(px + off)));
      }
      for (; j < d3; j++) stf(py + (<usize>j << 2), ldf(py + (<usize>j << 2)) + ldf(px + (<usize>j << 2)));
    }
  }
}

/** For o in [lo, hi): copies `bytes` bytes from src + o·srcStride to dst + o·dstStride (concat, slice). */
export function copyBlocks(src: usize, dst: usize, bytes: i32, srcStride: i32, dstStride: i32, lo: i32, hi: i32): void {
  for (let o = lo; o < hi; o++) memory.copy(dst + <usize>(o * dstStride), src + <usize>(o * srcStride), <usize>bytes);
}

// Optimizer steps, elementwise over chunks of 256 (units) except AGC (units: clipping units).

/** p' = p − lr·(g + wd·p). */
export function sgd(p: usize, g: usize, out: usize, n: i32, lr: f32, wd: f32, lo: i32, hi: i32): void {
  const i1 = min(n, hi * CHUNK);
  const lrv = f32x4.splat(-lr), wdv = f32x4.splat(wd);
  let i = lo * CHUNK;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    const pv = v128.load(p + off);
    v128.store(out + off, fma(lrv, fma(wdv, pv, v128.load(g + off)), pv));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    const pv = ldf(p + off);
    stf(out + off, pv - lr * (ldf(g + off) + wd * pv));
  }
}

/**
 * PyTorch SGD with momentum: d = g + wd·p; buf' = buf ? momentum·buf + (1 − dampening)·d : d;
 * step = nesterov ? d + momentum·buf' : buf'; p' = p − lr·step.
 */
export function sgdMomentum(
  p: usize, g: usize, buf: usize, outP: usize, outBuf: usize, n: i32, lr: f32, momentum: f32, dampening: f32,
  wd: f32, nesterov: i32, lo: i32, hi: i32,
): void {
  const i1 = min(n, hi * CHUNK);
  for (let i = lo * CHUNK; i < i1; i++) {
    const off = <usize>i << 2;
    const pv = ldf(p + off);
    const d = ldf(g + off) + wd * pv;
    const b = buf ? momentum * ldf(buf + off) + (1 - dampening) * d : d;
    const step = nesterov ? d + momentum * b : b;
    stf(outBuf + off, b);
    stf(outP + off, pv - lr * step);
  }
}

/**
 * Adam/AdamW (PyTorch): decoupled: p ← p·(1 − lr·wd), else g ← g + wd·p; m' = β1·m + (1 − β1)·g,
 * v' = β2·v + (1 − β2)·g², p' = p − lr·(m'/bc1)/(sqrt(v'/bc2) + eps), bc = 1 − β^step.
 */
export function adam(
  p: usize, g: usize, m: usize, v: usize, outP: usize, outM: usize, outV: usize, n: i32, lr: f32, b1: f32, b2: f32,
  eps: f32, wd: f32, decoupled: i32, bc1: f32, bc2: f32, lo: i32, hi: i32,
): void {
  const i1 = min(n, hi * CHUNK);
  const sqrtBc2 = Mathf.sqrt(bc2);
  const stepSize = lr / bc1;
  for (let i = lo * CHUNK; i < i1; i++) {
    const off = <usize>i << 2;
    let pv = ldf(p + off), gv = ldf(g + off);
    if (decoupled) pv *= 1 - lr * wd;
    else gv += wd * pv;
    const mv = b1 * ldf(m + off) + (1 - b1) * gv;
    const vv = b2 * ldf(v + off) + (1 - b2) * gv * gv;
    stf(outM + off, mv);
    stf(outV + off, vv);
    stf(outP + off, pv - stepSize * mv / (Mathf.sqrt(vv) / sqrtBc2 + eps));
  }
}

/** ‖v‖² of n floats at p, float64 from float32 vector partials per 1024. */
function squaredNorm(p: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i < n) {
    const end = min(n, i + 1024);
    let acc = f32x4.splat(0);
    for (; i + 4 <= end; i += 4) {
      const v = v128.load(p + (<usize>i << 2));
      acc = fma(v, v, acc);
    }
    let s: f64 = <f64>hsum(acc);
    for (; i < end; i++) {
      const x = <f64>ldf(p + (<usize>i << 2));
      s += x * x;
    }
    total += s;
  }
  return total;
}

/**
 * AGC unit clip: maxNorm = clipping·max(‖W_u‖, eps); where ‖G_u‖ > maxNorm, G_u·maxNorm/max(‖G_u‖, 1e-6);
 * otherwise G_u unchanged (copied to out). Units: clipping units.
 */
export function agc(p: usize, g: usize, out: usize, size: i32, clipping: f32, eps: f32, lo: i32, hi: i32): void {
  for (let u = lo; u < hi; u++) {
    const off = <usize>(u * size) << 2;
    const wn = Math.sqrt(squaredNorm(p + off, size));
    const gn = Math.sqrt(squaredNorm(g + off, size));
    const maxNorm = <f64>clipping * Math.max(wn, <f64>eps);
    const k = <f32>(gn > maxNorm ? maxNorm / Math.max(gn, 1e-6) : 1.0);
    const kv = f32x4.splat(k);
    let i = 0;
    for (; i + 4 <= size; i += 4) {
      const o = off + (<usize>i << 2);
      v128.store(out + o, f32x4.mul(v128.load(g + o), kv));
    }
    for (; i < size; i++) {
      const o = off + (<usize>i << 2);
      stf(out + o, ldf(g + o) * k);
    }
  }
}

/** y = alpha·a + beta·b over n elements (same shapes). Units: chunks of 256. */
export function scaledAdd(a: usize, b: usize, y: usize, n: i32, alpha: f32, beta: f32, lo: i32, hi: i32): void {
  const i1 = min(n, hi * CHUNK);
  const av = f32x4.splat(alpha), bv = f32x4.splat(beta);
  let i = lo * CHUNK;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    v128.store(y + off, fma(av, v128.load(a + off), f32x4.mul(bv, v128.load(b + off))));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    stf(y + off, alpha * ldf(a + off) + beta * ldf(b + off));
  }
}
