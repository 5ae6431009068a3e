/**
 * WGSL shared by the pooling kernels (forward and backward must pick the same windows and maxima).
 * Needs uniforms WINDOW_UNIFORMS and an input array `x` (max pooling).
 */

/**
 * Flat offset (within its plane) of the maximum of window (oh, ow): taps in row-major order, the
 * FIRST maximum wins (strict >), padding taps are skipped, a NaN counts as the maximum (PyTorch).
 * Returns the offset and the value.
 */
export const MAX_WINDOW_WGSL = /* wgsl */ `
struct WindowMax { offset: i32, value: f32 }
fn windowMax(plane: i32, oh: i32, ow: i32) -> WindowMax {
  var best = WindowMax(-1, negInfinity());
  let ih0 = oh * P.sH - P.padTop;
  let iw0 = ow * P.sW - P.padLeft;
  for (var kh = 0; kh < P.kH; kh = kh + 1) {
    let ih = ih0 + kh * P.dH;
    if (ih < 0 || ih >= P.inH) { continue; }
    for (var kw = 0; kw < P.kW; kw = kw + 1) {
      let iw = iw0 + kw * P.dW;
      if (iw < 0 || iw >= P.inW) { continue; }
      let o = ih * P.inW + iw;
      let v = x[plane + o];
      if (best.offset < 0 || v > best.value || isNan(v)) { best = WindowMax(o, v); }
    }
  }
  return best;
}
`;

/**
 * Average-pooling window along one axis, PyTorch's rule: start = o·s − padBefore,
 * end = min(start + k, size + padAfter), divisor extent = end − start, then clipped to [0, size).
 */
export const AVG_WINDOW_WGSL = /* wgsl */ `
struct AvgSpan { start: i32, end: i32, extent: i32 }
fn avgSpan(o: i32, s: i32, k: i32, padBefore: i32, padAfter: i32, size: i32) -> AvgSpan {
  let start = o * s - padBefore;
  let end = min(start + k, size + padAfter);
  return AvgSpan(max(start, 0), min(end, size), end - start);
}
fn avgDivisor(h: AvgSpan, w: AvgSpan) -> f32 {
  if (P.countIncludePad != 0u) { return f32(h.extent * w.extent); }
  return f32((h.end - h.start) * (w.end - w.start));
}
`;
