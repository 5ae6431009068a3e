/** The float64 reference against hand-computed values (no backend involved). */
import { describe, expect, it } from 'vitest';
import { EDGE_IMAGE, EDGE_KERNEL, EDGE_RESPONSE, TEXTBOOK_CONVOLUTION, TEXTBOOK_CORRELATION, TEXTBOOK_W, TEXTBOOK_X, seedOutputSize } from '../src/cases.js';
import * as R from '../src/reference/index.js';

const t = (shape: number[], values: number[]) => R.f64(shape, values);

describe('float64 reference against hand-computed values', () => {
  it('textbook 3×3 ∗ 2×2: correlation and true convolution', () => {
    const x = t([1, 1, 3, 3], TEXTBOOK_X);
    const w = t([1, 1, 2, 2], TEXTBOOK_W);
    expect(Array.from(R.conv2d(x, w, undefined).data)).toEqual(TEXTBOOK_CORRELATION);
    expect(Array.from(R.conv2d(x, w, undefined, { mode: 'convolution' }).data)).toEqual(TEXTBOOK_CONVOLUTION);
    // true convolution is correlation with the kernel rotated by 180°
    expect(Array.from(R.conv2d(x, t([1, 1, 2, 2], [4, 3, 2, 1]), undefined).data)).toEqual(TEXTBOOK_CONVOLUTION);
  });

  it('vertical edge: response only at the columns straddling the edge', () => {
    const y = R.conv2d(t([1, 1, 6, 6], EDGE_IMAGE), t([1, 1, 3, 3], EDGE_KERNEL), undefined);
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(Array.from(y.data)).toEqual(EDGE_RESPONSE);
    for (let i = 0; i < 4; i++) {
      expect(y.data[i * 4 + 0]).toBe(0);
      expect(y.data[i * 4 + 3]).toBe(0);
    }
  });

  it('output size: DESIGN formula equals the seed formula floor((x − f + 2p + s)/s)', () => {
    for (let x = 1; x <= 12; x++)
      for (let f = 1; f <= x + 2; f++)
        for (let p = 0; p <= 2; p++)
          for (let s = 1; s <= 4; s++) {
            if (x + 2 * p < f) continue;
            const o = seedOutputSize(x, f, p, s);
            expect(R.refOutSize(x, f, s, p, p, 1)).toBe(o);
            if (x <= 7 && f <= 4) expect(R.conv2d(R.f64([1, 1, x, x]), R.f64([1, 1, f, f]), undefined, { stride: s, padding: p }).shape).toEqual([1, 1, o, o]);
          }
  });

  it("'same' padding: output ceil(x/s), odd pixel at the end", () => {
    expect(R.refSamePad(7, 3, 2)).toEqual([1, 1]); // out 4: total (4−1)·2 + 3 − 7 = 2
    expect(R.refSamePad(8, 3, 2)).toEqual([0, 1]); // out 4: total 6 + 3 − 8 = 1 → bottom/right
    expect(R.refSamePad(10, 4, 3)).toEqual([1, 2]); // out 4: total (4−1)·3 + 4 − 10 = 3 → 1 before, 2 after
  });

  it('pools: ceilMode drops a window starting in the padding; avg divisors (PyTorch rules)', () => {
    // L = 5, k = 2, s = 2, p = 1: ceil((5 + 2 − 2)/2) + 1 = 4 windows, the 4th starts at 6 − 1 = 5 ≥ L → dropped
    expect(R.refPoolOutSize(5, 2, 2, 1, 1, true)).toBe(3);
    expect(R.refPoolOutSize(5, 2, 2, 0, 1, true)).toBe(3); // windows at 0, 2, 4 (the last one partial)
    const x = t([1, 1, 5], [1, 2, 3, 4, 5]);
    // windows [-1,0], [1,2], [3,4] with pad 1: include-pad divisor 2 each
    expect(Array.from(R.avgPool1d(x, { kernelSize: 2, padding: 1, ceilMode: true }).data)).toEqual([0.5, 2.5, 4.5]);
    // no padding, ceil: windows [0,1], [2,3], [4]: last divisor is 1 (window clipped to the padded extent)
    expect(Array.from(R.avgPool1d(x, { kernelSize: 2, ceilMode: true }).data)).toEqual([1.5, 3.5, 5]);
    // k = 3, s = 2, p = 1 exclude pad: [-1..1] → (1+2)/2, [1..3] → 3, [3..5] → (4+5)/2
    expect(Array.from(R.avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }).data)).toEqual([1.5, 3, 4.5]);
    // … and include pad: divisors 3, 3, 3
    expect(Array.from(R.avgPool1d(x, { kernelSize: 3, stride: 2, padding: 1 }).data)).toEqual([1, 3, 3]);
    // L = 6, k = 3, s = 2, p = 1, ceil: windows at −1, 1, 3, 5; the last, [5, 8), is clipped to the
    // padded extent [−1, 7) → include-pad divisor 2: 6/2 = 3 (and 1 real element → 6 when excluding pad)
    const x6 = t([1, 1, 6], [1, 2, 3, 4, 5, 6]);
    expect(Array.from(R.avgPool1d(x6, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }).data)).toEqual([1, 3, 5, 3]);
    expect(Array.from(R.avgPool1d(x6, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }).data)).toEqual([1.5, 3, 5, 6]);
    // max ignores padding even when every real value is negative
    expect(Array.from(R.maxPool1d(t([1, 1, 3], [-3, -1, -2]), { kernelSize: 3, stride: 2, padding: 1 }).data)).toEqual([-1, -1]);
  });

  it('batch norm training: biased batch variance, running stats with momentum and unbiased variance', () => {
    // one channel, values 1, 2, 3, 6: mean 3, biased var (4 + 1 + 0 + 9)/4 = 3.5, unbiased 14/3
    const x = t([2, 1, 2, 1], [1, 2, 3, 6]);
    const r = R.batchNorm(x, t([1], [1]), t([1], [2]), undefined, undefined, { training: true, eps: 0 });
    expect(r.y.data[3]).toBeCloseTo(3 / Math.sqrt(3.5), 14);
    expect(r.runningMean.data[0]).toBeCloseTo(0.9 * 1 + 0.1 * 3, 14);
    expect(r.runningVar.data[0]).toBeCloseTo(0.9 * 2 + 0.1 * (14 / 3), 14);
    // eval uses the running stats: (x − 1)/√2
    expect(R.batchNorm(x, t([1], [1]), t([1], [2]), undefined, undefined, { eps: 0 }).y.data[3]).toBeCloseTo(5 / Math.sqrt(2), 14);
  });

  it('batch renorm: r and d clipped; with wide clips the output is γ·(x − μ)/σ + β with running μ, σ', () => {
    const x = t([2, 1, 2, 1], [1, 2, 3, 6]);
    const rm = t([1], [0.5]);
    const rv = t([1], [4]);
    const wide = R.batchRenorm(x, rm, rv, undefined, undefined, { training: true, eps: 0, rMax: 100, dMax: 100 });
    // r = σB/σ, d = (μB − μ)/σ ⇒ x̂·r + d = (x − μ)/σ
    for (let i = 0; i < 4; i++) expect(wide.y.data[i]).toBeCloseTo((x.data[i] - 0.5) / 2, 12);
    const { r, d } = R.renormCorrection(x, rm, rv, { eps: 0, rMax: 1.2, dMax: 0.5 });
    expect(r[0]).toBeCloseTo(Math.min(Math.sqrt(3.5) / 2, 1.2), 14);
    expect(d[0]).toBe(0.5); // (3 − 0.5)/2 = 1.25 clipped
  });

  it('layer / instance / group norm, FRN and TLU on small hand examples', () => {
    // row [1, 2, 3]: mean 2, var 2/3
    const ln = R.layerNorm(t([1, 3], [1, 2, 3]), [3], undefined, undefined, { eps: 0 });
    expect(ln.data[2]).toBeCloseTo(1 / Math.sqrt(2 / 3), 14);
    // group norm with 1 group = layer norm over (C, H, W)
    const x = t([1, 2, 1, 2], [1, 2, 3, 4]);
    expect(Array.from(R.groupNorm(x, 1).data)).toEqual(Array.from(R.layerNorm(x, [2, 1, 2]).data));
    // instance norm of [3, 4]: ±1 (mean 3.5, var 0.25)
    expect(R.instanceNorm(x, undefined, undefined, { eps: 0 }).data[3]).toBeCloseTo(1, 14);
    // FRN: ν² = (9 + 16)/2 = 12.5 → 4/√(12.5 + |−0.5|) = 4/√13
    expect(R.frn(x, undefined, undefined, { eps: -0.5 }).data[3]).toBeCloseTo(4 / Math.sqrt(13), 14);
    expect(Array.from(R.tlu(x, t([2], [1.5, 3.5])).data)).toEqual([1.5, 2, 3.5, 4]);
  });

  it('softmax, log-softmax and cross-entropy', () => {
    const x = t([1, 3], [0, Math.log(2), Math.log(5)]); // exp: 1, 2, 5 → probabilities 1/8, 2/8, 5/8
    expect(Array.from(R.softmax(x).data).map((v) => +v.toFixed(12))).toEqual([0.125, 0.25, 0.625]);
    expect(R.logSoftmax(x).data[2]).toBeCloseTo(Math.log(0.625), 14);
    expect(R.crossEntropy(t([2, 3], [0, Math.log(2), Math.log(5), 0, 0, 0]), [1, 0]).data[0]).toBeCloseTo((-Math.log(0.25) + Math.log(3)) / 2, 14);
  });

  it('linear, convToMatrix (M·x = conv(x)) and fuseConvBatchNorm (conv→BN = fused conv)', () => {
    expect(Array.from(R.linear(t([1, 2], [1, 2]), t([2, 2], [1, 0, 3, 4]), t([2], [10, 20])).data)).toEqual([11, 31]);
    const x = R.f64([1, 2, 4, 5], Array.from({ length: 40 }, (_, i) => Math.sin(i)));
    const w = R.f64([4, 1, 3, 2], Array.from({ length: 24 }, (_, i) => Math.cos(i)));
    const opts = { stride: 2, padding: [1, 0, 1, 1] as [number, number, number, number], groups: 2, mode: 'convolution' as const };
    const m = R.convToMatrix(w, [2, 4, 5], opts);
    const y = R.conv2d(x, w, undefined, opts);
    expect(m.shape).toEqual([y.data.length, 40]);
    for (let r = 0; r < y.data.length; r++) {
      let s = 0;
      for (let k = 0; k < 40; k++) s += m.data[r * 40 + k] * x.data[k];
      expect(s).toBeCloseTo(y.data[r], 12);
    }
    const b = t([4], [0.1, -0.2, 0.3, 0]);
    const [mean, vr, ga, be] = [t([4], [0.5, -1, 0, 2]), t([4], [1, 0.25, 4, 2]), t([4], [1, 2, -1, 0.5]), t([4], [0, 1, 2, 3])];
    const fused = R.fuseConvBatchNorm(w, b, mean, vr, ga, be, 1e-5);
    const direct = R.batchNorm(R.conv2d(x, w, b, { groups: 2 }), mean, vr, ga, be, { eps: 1e-5 }).y;
    const viaFused = R.conv2d(x, fused.w, fused.b, { groups: 2 });
    for (let i = 0; i < direct.data.length; i++) expect(viaFused.data[i]).toBeCloseTo(direct.data[i], 12);
  });

  it('AGC and SGD (PyTorch rule)', () => {
    // unit 0: ‖W‖ = 5, ‖G‖ = 1 > 0.1·5 = 0.5 → G·0.5; unit 1: ‖W‖ = 0 → maxNorm 0.1·1e-3·… eps floor
    const w = t([2, 2], [3, 4, 0, 0]);
    const g = t([2, 2], [0.6, 0.8, 1e-5, 0]);
    const c = R.agc(w, g, { clipping: 0.1, eps: 1e-3 });
    expect(c.data[0]).toBeCloseTo(0.3, 14);
    expect(c.data[1]).toBeCloseTo(0.4, 14);
    expect(c.data[2]).toBe(1e-5); // ‖G‖ = 1e-5 ≤ 0.1·1e-3 = 1e-4: unchanged
    // SGD with momentum 0.9, dampening 0, wd 0.1, nesterov
    const p = t([1], [1]);
    const s1 = R.sgdStep(p, t([1], [0.5]), undefined, { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true });
    // g = 0.5 + 0.1 = 0.6; buf = 0.6; g = 0.6 + 0.9·0.6 = 1.14; p = 1 − 0.114
    expect(s1.param.data[0]).toBeCloseTo(0.886, 14);
    const s2 = R.sgdStep(s1.param, t([1], [0.5]), s1.buffer, { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    // g = 0.5; buf = 0.9·0.6 + 0.5·0.5 = 0.79; p = 0.886 − 0.079
    expect(s2.param.data[0]).toBeCloseTo(0.807, 14);
  });
});
