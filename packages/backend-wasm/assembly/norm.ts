import { fma, hsum, ldf, stf } from './common';

// Every norm here works on x seen as planes of S contiguous elements (p = n·C + c). A statistic
// ("stat") covers a set of planes: batch norm — channel c over all n; group norm — the planes of one
// group of one sample; FRN — one plane; layer norm works on rows instead (see the ln* kernels).
// statOf(p) = n·statsPerN + c / chPerStat; batch norm uses statsPerN = 0.

// @ts-ignore: decorator
@inline function statOf(p: i32, C: i32, statsPerN: i32, chPerStat: i32): i32 {
  return (p / C) * statsPerN + (p % C) / chPerStat;
}

/** Σ (x[i] − m) and Σ (x[i] − m)² over n floats at p, in float64 from float32 vector partials. */
// @ts-ignore: decorator
@inline function centeredSums(p: usize, n: i32, m: f32, withSquares: bool): f64 {
  const mv = f32x4.splat(m);
  let a = f32x4.splat(0), b = a, a2 = a, b2 = a;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = p + (<usize>i << 2);
    const d0 = f32x4.sub(v128.load(q), mv), d1 = f32x4.sub(v128.load(q, 16), mv);
    if (withSquares) {
      a2 = fma(d0, d0, a2);
      b2 = fma(d1, d1, b2);
    } else {
      a = f32x4.add(a, d0);
      b = f32x4.add(b, d1);
    }
  }
  let s: f64 = <f64>hsum(f32x4.add(a, b)), s2: f64 = <f64>hsum(f32x4.add(a2, b2));
  for (; i < n; i++) {
    const d: f64 = <f64>ldf(p + (<usize>i << 2)) - <f64>m;
    s += d;
    s2 += d * d;
  }
  return withSquares ? s2 : s;
}

/**
 * Two-pass biased mean and variance of each stat (units: stats). A stat is `reps` chunks of `len`
 * floats: chunk r of stat s starts at x + (s·statStride + r·chunkStride) floats.
 */
export function meanVar(
  x: usize, mean: usize, variance: usize, statStride: i32, reps: i32, chunkStride: i32, len: i32,
  lo: i32, hi: i32,
): void {
  const count = <f64>reps * <f64>len;
  for (let s = lo; s < hi; s++) {
    let sum: f64 = 0;
    for (let r = 0; r < reps; r++) {
      sum += centeredSums(x + (<usize>(s * statStride + r * chunkStride) << 2), len, 0, false);
    }
    const m = <f32>(sum / count);
    let ss: f64 = 0;
    for (let r = 0; r < reps; r++) {
      ss += centeredSums(x + (<usize>(s * statStride + r * chunkStride) << 2), len, m, true);
    }
    stf(mean + (<usize>s << 2), m);
    stf(variance + (<usize>s << 2), <f32>(ss / count));
  }
}

/** nu2[p] = mean of x² over plane p (FRN). Units: planes. */
export function meanSquare(x: usize, nu2: usize, S: i32, lo: i32, hi: i32): void {
  for (let p = lo; p < hi; p++) {
    stf(nu2 + (<usize>p << 2), <f32>(centeredSums(x + (<usize>(p * S) << 2), S, 0, true) / <f64>S));
  }
}

/**
 * y = (x − mean[stat])·r·scale[c] + offset[c] per plane, r = 1/sqrt(variance[stat] + eps)
 * (mean = 0: no centering, FRN; absEps: eps from a tensor, |eps| used), then optionally relu or
 * max(·, tau[c]). Absent scale/offset/tau are 0 pointers. Units: planes.
 */
export function channelAffine(
  x: usize, y: usize, mean: usize, variance: usize, eps: f32, epsPtr: usize, scale: usize, offset: usize,
  tau: usize, relu: i32, C: i32, S: i32, statsPerN: i32, chPerStat: i32, lo: i32, hi: i32,
): void {
  const e: f32 = epsPtr ? Mathf.abs(ldf(epsPtr)) : eps;
  for (let p = lo; p < hi; p++) {
    const c = p % C, s = statOf(p, C, statsPerN, chPerStat);
    const r: f32 = <f32>(1.0 / Math.sqrt(<f64>ldf(variance + (<usize>s << 2)) + <f64>e));
    const k: f32 = (scale ? ldf(scale + (<usize>c << 2)) : 1) * r;
    const b: f32 = (offset ? ldf(offset + (<usize>c << 2)) : 0) - (mean ? ldf(mean + (<usize>s << 2)) : 0) * k;
    const lowest: f32 = tau ? ldf(tau + (<usize>c << 2)) : relu ? 0 : -Infinity;
    const clip = tau != 0 || relu != 0;
    affineRange(x + (<usize>(p * S) << 2), y + (<usize>(p * S) << 2), S, k, b, clip, lowest);
  }
}

/** y = x·k + b over n floats, then max(·, lowest) when clip (NaN kept). */
// @ts-ignore: decorator
@inline function affineRange(x: usize, y: usize, n: i32, k: f32, b: f32, clip: bool, lowest: f32): void {
  const kv = f32x4.splat(k), bv = f32x4.splat(b), lv = f32x4.splat(lowest);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let v = fma(v128.load(x + (<usize>i << 2)), kv, bv);
    if (clip) v = v128.bitselect(v, lv, v128.or(f32x4.ne(v, v), f32x4.gt(v, lv)));
    v128.store(y + (<usize>i << 2), v);
  }
  for (; i < n; i++) {
    let v = ldf(x + (<usize>i << 2)) * k + b;
    if (clip && v <= lowest) v = lowest;
    stf(y + (<usize>i << 2), v);
  }
}

/**
 * Per plane: sums[2p] = Σ dy, sums[2p+1] = Σ dy·(x − mean[stat]) (float64; mean = 0 pointer: no
 * centering). Units: planes.
 */
export function planeGradSums(
  dy: usize, x: usize, mean: usize, sums: usize, C: i32, S: i32, statsPerN: i32, chPerStat: i32, lo: i32, hi: i32,
): void {
  for (let p = lo; p < hi; p++) {
    const m: f32 = mean ? ldf(mean + (<usize>statOf(p, C, statsPerN, chPerStat) << 2)) : 0;
    const d = dy + (<usize>(p * S) << 2), xs = x + (<usize>(p * S) << 2);
    const mv = f32x4.splat(m);
    let a = f32x4.splat(0), b = a;
    let i = 0;
    for (; i + 4 <= S; i += 4) {
      const dv = v128.load(d + (<usize>i << 2));
      a = f32x4.add(a, dv);
      b = fma(dv, f32x4.sub(v128.load(xs + (<usize>i << 2)), mv), b);
    }
    let sd: f64 = <f64>hsum(a), sx: f64 = <f64>hsum(b);
    for (; i < S; i++) {
      const dv = <f64>ldf(d + (<usize>i << 2));
      sd += dv;
      sx += dv * (<f64>ldf(xs + (<usize>i << 2)) - <f64>m);
    }
    store<f64>(sums + (<usize>p << 4), sd);
    store<f64>(sums + (<usize>p << 4), sx, 8);
  }
}

/**
 * Norm gradient for planes p in [lo, hi), given the plane sums: with g = dy·w[c], per stat
 * A = Σ w[c]·Σdy, B = Σ w[c]·Σdy·(x − μ) over its planes, M its element count,
 *   dx = r·w[c]·dy − (x − μ)·r³·B/M − r·A/M.
 * r = 1/sqrt(variance[stat] + eps) (FRN: eps from epsPtr, |eps|; no mean, no A term).
 * The stat's sums are recomputed per plane: stats are few planes each.
 */
export function normGradApply(
  dy: usize, x: usize, dx: usize, mean: usize, variance: usize, eps: f32, epsPtr: usize, weight: usize, sums: usize,
  N: i32, C: i32, S: i32, statsPerN: i32, chPerStat: i32, lo: i32, hi: i32,
): void {
  const e: f32 = epsPtr ? Mathf.abs(ldf(epsPtr)) : eps;
  const perN = statsPerN == 0;
  for (let p = lo; p < hi; p++) {
    const n = p / C, c = p % C;
    const s = statOf(p, C, statsPerN, chPerStat);
    const cFirst = (c / chPerStat) * chPerStat;
    let A: f64 = 0, B: f64 = 0;
    const mFirst = perN ? 0 : n, mEnd = perN ? N : n + 1;
    for (let m = mFirst; m < mEnd; m++) {
      for (let cc = cFirst; cc < cFirst + chPerStat; cc++) {
        const q = m * C + cc;
        const wc: f64 = weight ? <f64>ldf(weight + (<usize>cc << 2)) : 1;
        A += wc * load<f64>(sums + (<usize>q << 4));
        B += wc * load<f64>(sums + (<usize>q << 4), 8);
      }
    }
    const M: f64 = <f64>S * <f64>chPerStat * <f64>(perN ? N : 1);
    const r: f64 = 1.0 / Math.sqrt(<f64>ldf(variance + (<usize>s << 2)) + <f64>e);
    const mu: f64 = mean ? <f64>ldf(mean + (<usize>s << 2)) : 0;
    const wc: f64 = weight ? <f64>ldf(weight + (<usize>c << 2)) : 1;
    const k = <f32>(r * wc);
    const q = <f32>(-r * r * r * B / M);
    const b0 = <f32>(-mu * <f64>q - (epsPtr ? 0 : r * A / M));
    const kv = f32x4.splat(k), qv = f32x4.splat(q), bv = f32x4.splat(b0);
    const d = dy + (<usize>(p * S) << 2), xs = x + (<usize>(p * S) << 2), o = dx + (<usize>(p * S) << 2);
    let i = 0;
    for (; i + 4 <= S; i += 4) {
      const off = <usize>i << 2;
      v128.store(o + off, fma(v128.load(d + off), kv, fma(v128.load(xs + off), qv, bv)));
    }
    for (; i < S; i++) {
      const off = <usize>i << 2;
      stf(o + off, ldf(d + off) * k + (ldf(xs + off) * q + b0));
    }
  }
}

/**
 * Per-channel parameter gradients from the plane sums: dweight[c] = Σ_n r·Σdy·(x − μ),
 * dbias[c] = Σ_n Σdy; FRN (epsPtr) also deps = −½·sign(eps)·Σ_planes w[c]·Σdy·x·r³. Serial (C·N).
 */
export function normGradParams(
  variance: usize, eps: f32, epsPtr: usize, weight: usize, sums: usize, dweight: usize, dbias: usize, deps: usize,
  N: i32, C: i32, statsPerN: i32, chPerStat: i32,
): void {
  const epsVal: f32 = epsPtr ? ldf(epsPtr) : eps;
  const e: f64 = <f64>Mathf.abs(epsVal);
  let dE: f64 = 0;
  for (let c = 0; c < C; c++) {
    let dwc: f64 = 0, dbc: f64 = 0;
    const wc: f64 = weight ? <f64>ldf(weight + (<usize>c << 2)) : 1;
    for (let n = 0; n < N; n++) {
      const p = n * C + c;
      const s = statOf(p, C, statsPerN, chPerStat);
      const r: f64 = 1.0 / Math.sqrt(<f64>ldf(variance + (<usize>s << 2)) + e);
      const sd = load<f64>(sums + (<usize>p << 4)), sx = load<f64>(sums + (<usize>p << 4), 8);
      dwc += r * sx;
      dbc += sd;
      dE += wc * sx * r * r * r;
    }
    stf(dweight + (<usize>c << 2), <f32>dwc);
    stf(dbias + (<usize>c << 2), <f32>dbc);
  }
  if (deps) {
    const sign: f64 = epsVal > 0 ? 1 : epsVal < 0 ? -1 : 0;
    stf(deps, <f32>(-0.5 * dE * sign));
  }
}

/**
 * Layer norm forward per row (units: rows): two-pass mean/variance, y = (x − μ)·r·w[j] + b[j].
 */
export function layerNormRows(
  x: usize, y: usize, mean: usize, variance: usize, weight: usize, bias: usize, eps: f32, D: i32,
  lo: i32, hi: i32,
): void {
  for (let row = lo; row < hi; row++) {
    const xs = x + (<usize>(row * D) << 2), ys = y + (<usize>(row * D) << 2);
    const m = <f32>(centeredSums(xs, D, 0, false) / <f64>D);
    const v = <f32>(centeredSums(xs, D, m, true) / <f64>D);
    stf(mean + (<usize>row << 2), m);
    stf(variance + (<usize>row << 2), v);
    const r = <f32>(1.0 / Math.sqrt(<f64>v + <f64>eps));
    const mv = f32x4.splat(m), rv = f32x4.splat(r), one = f32x4.splat(1), zero = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= D; j += 4) {
      const off = <usize>j << 2;
      const wv = weight ? v128.load(weight + off) : one, bv = bias ? v128.load(bias + off) : zero;
      v128.store(ys + off, fma(f32x4.mul(f32x4.sub(v128.load(xs + off), mv), rv), wv, bv));
    }
    for (; j < D; j++) {
      const off = <usize>j << 2;
      stf(ys + off, (ldf(xs + off) - m) * r * (weight ? ldf(weight + off) : 1) + (bias ? ldf(bias + off) : 0));
    }
  }
}

/** Elements per float32 partial sum of the layer-norm gradient (then added in float64). */
const LN_CHUNK = 1024;

/**
 * Layer norm input gradient per row (units: rows): g = dy·w, x̂ = (x − μ)·r,
 * dx = r·(g − mean(g) − x̂·mean(g·x̂)). The two row sums are float32 vectors over chunks of
 * LN_CHUNK elements, added up in float64.
 */
export function layerNormGradRows(
  dy: usize, x: usize, dx: usize, mean: usize, variance: usize, weight: usize, eps: f32, D: i32, lo: i32, hi: i32,
): void {
  for (let row = lo; row < hi; row++) {
    const d = dy + (<usize>(row * D) << 2), xs = x + (<usize>(row * D) << 2), o = dx + (<usize>(row * D) << 2);
    const m = ldf(mean + (<usize>row << 2));
    const mv = f32x4.splat(m);
    const r: f64 = 1.0 / Math.sqrt(<f64>ldf(variance + (<usize>row << 2)) + <f64>eps);
    let sg: f64 = 0, sgx: f64 = 0;
    for (let j0 = 0; j0 < D; j0 += LN_CHUNK) {
      const j1 = min(j0 + LN_CHUNK, D);
      let ag = f32x4.splat(0), agx = ag;
      let j = j0;
      for (; j + 4 <= j1; j += 4) {
        const off = <usize>j << 2;
        const g = weight ? f32x4.mul(v128.load(d + off), v128.load(weight + off)) : v128.load(d + off);
        ag = f32x4.add(ag, g);
        agx = fma(g, f32x4.sub(v128.load(xs + off), mv), agx);
      }
      let tg: f64 = 0, tgx: f64 = 0;
      for (; j < j1; j++) {
        const off = <usize>j << 2;
        const g: f64 = <f64>ldf(d + off) * (weight ? <f64>ldf(weight + off) : 1);
        tg += g;
        tgx += g * (<f64>ldf(xs + off) - <f64>m);
      }
      sg += <f64>hsum(ag) + tg;
      sgx += <f64>hsum(agx) + tgx;
    }
    const rf = <f32>r;
    const c0 = <f32>(r * sg / <f64>D);
    const c1 = <f32>(r * r * r * sgx / <f64>D);
    const rv = f32x4.splat(rf), c0v = f32x4.splat(c0), c1v = f32x4.splat(c1);
    let j = 0;
    for (; j + 4 <= D; j += 4) {
      const off = <usize>j << 2;
      const g = weight ? f32x4.mul(v128.load(d + off), v128.load(weight + off)) : v128.load(d + off);
      const xc = f32x4.sub(v128.load(xs + off), mv);
      v128.store(o + off, f32x4.sub(f32x4.sub(f32x4.mul(rv, g), c0v), f32x4.mul(xc, c1v)));
    }
    for (; j < D; j++) {
      const off = <usize>j << 2;
      const g = ldf(d + off) * (weight ? ldf(weight + off) : 1);
      stf(o + off, rf * g - c0 - (ldf(xs + off) - m) * c1);
    }
  }
}

/**
 * Layer norm parameter gradients for columns j in [lo, hi): dweight[j] = Σ_rows dy·x̂, dbias[j] = Σ_rows dy.
 * Blocks of LN_CHUNK columns: each row's μ and r once per block, the block's sums in cache.
 */
export function layerNormGradParams(
  dy: usize, x: usize, mean: usize, variance: usize, dweight: usize, dbias: usize, eps: f32, rows: i32, D: i32,
  lo: i32, hi: i32,
): void {
  for (let j0 = lo; j0 < hi; j0 += LN_CHUNK) {
    const j1 = min(j0 + LN_CHUNK, hi);
    memory.fill(dweight + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
    memory.fill(dbias + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
    for (let row = 0; row < rows; row++) {
      const m = ldf(mean + (<usize>row << 2));
      const r = <f32>(1.0 / Math.sqrt(<f64>ldf(variance + (<usize>row << 2)) + <f64>eps));
      const mv = f32x4.splat(m), rv = f32x4.splat(r);
      const base = <usize>(row * D) << 2;
      let j = j0;
      for (; j + 4 <= j1; j += 4) {
        const off = <usize>j << 2;
        const g = v128.load(dy + base + off);
        v128.store(dweight + off, fma(g, f32x4.mul(f32x4.sub(v128.load(x + base + off), mv), rv), v128.load(dweight + off)));
        v128.store(dbias + off, f32x4.add(v128.load(dbias + off), g));
      }
      for (; j < j1; j++) {
        const off = <usize>j << 2;
        const g = ldf(dy + base + off);
        stf(dweight + off, ldf(dweight + off) + g * ((ldf(x + base + off) - m) * r));
        stf(dbias + off, ldf(dbias + off) + g);
      }
    }
  }
}

/** TLU forward: y = max(x, tau[c]) per plane. Units: planes. */
export function tlu(x: usize, y: usize, tau: usize, C: i32, S: i32, lo: i32, hi: i32): void {
  for (let p = lo; p < hi; p++) {
    affineRange(x + (<usize>(p * S) << 2), y + (<usize>(p * S) << 2), S, 1, 0, true, ldf(tau + (<usize>(p % C) << 2)));
  }
}

/**
 * TLU gradient: dx = dy where x > tau[c], else 0; sums[p] (float64) = Σ dy where x ≤ tau[c].
 * Units: planes. tluGradTau then reduces the plane sums per channel.
 */
export function tluGrad(dy: usize, x: usize, tau: usize, dx: usize, sums: usize, C: i32, S: i32, lo: i32, hi: i32): void {
  for (let p = lo; p < hi; p++) {
    const t = ldf(tau + (<usize>(p % C) << 2));
    const base = <usize>(p * S) << 2;
    let s: f64 = 0;
    for (let i = 0; i < S; i++) {
      const off = base + (<usize>i << 2);
      const d = ldf(dy + off);
      if (ldf(x + off) > t) stf(dx + off, d);
      else {
        stf(dx + off, 0);
        s += d;
      }
    }
    store<f64>(sums + (<usize>p << 3), s);
  }
}

export function tluGradTau(sums: usize, dtau: usize, N: i32, C: i32): void {
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let n = 0; n < N; n++) s += load<f64>(sums + (<usize>(n * C + c) << 3));
    stf(dtau + (<usize>c << 2), <f32>s);
  }
}
