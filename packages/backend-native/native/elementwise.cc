// Elementwise family: broadcasting binary ops, scalar ops, unary math, fill, and the data movers
// (sum over axes, broadcastTo, transpose, concat, slice).
#include "isa.h"

namespace hc {
namespace HC_ISA {
namespace {

/** Strides of `t` as broadcast onto `out` (0 on broadcast axes); false if not broadcastable. */
bool broadcastStrides(const Tensor& t, const Tensor& out, int64_t* strides) {
  if (t.rank > out.rank) return false;
  int64_t s = 1;
  for (int d = out.rank - 1; d >= 0; d--) {
    const int td = d - (out.rank - t.rank);
    if (td < 0) {
      strides[d] = 0;
      continue;
    }
    const int64_t n = t.shape[td];
    if (n != out.shape[d] && n != 1) return false;
    strides[d] = n == 1 ? 0 : s;
    s *= n;
  }
  return true;
}

/**
 * Visits out in row-major order as runs along the last axis: f(outOffset, aOffset, bOffset, runLength,
 * aStep, bStep) over the given operand strides. Parallel over rows.
 */
template <class F>
void forRuns(Call& c, const Tensor& out, const int64_t* sa, const int64_t* sb, const F& f) {
  const int r = out.rank;
  const int64_t last = r ? out.shape[r - 1] : 1;
  const int64_t rows = out.size / last;
  par(c, rows, imax(1, 16384 / last), [&](int64_t b, int64_t e, int) {
    for (int64_t row = b; row < e; row++) {
      int64_t rem = row, oa = 0, ob = 0;
      for (int d = r - 2; d >= 0; d--) {
        const int64_t i = rem % out.shape[d];
        rem /= out.shape[d];
        oa += i * sa[d];
        ob += i * sb[d];
      }
      f(row * last, oa, ob, last, r ? sa[r - 1] : 0, r ? sb[r - 1] : 0);
    }
  });
}

template <class Op>
bool binary(Call& c, const char* op, const Op& fn) {
  if (!arity(c, op, 2, 2, 1, 0)) return false;
  const Tensor &a = c.in[0], &b = c.in[1], &y = c.out[0];
  int64_t sa[kMaxRank], sb[kMaxRank];
  if (!broadcastStrides(a, y, sa) || !broadcastStrides(b, y, sb))
    return fail(c, "%s: operands do not broadcast to the output shape", op);
  const float *ad = a.data, *bd = b.data;
  float* yd = y.data;
  if (a.size == y.size && b.size == y.size) {
    par(c, y.size, 16384, [&](int64_t s, int64_t e, int) {
      for (int64_t i = s; i < e; i++) yd[i] = fn(ad[i], bd[i]);
    });
    return true;
  }
  forRuns(c, y, sa, sb, [&](int64_t o, int64_t ia, int64_t ib, int64_t n, int64_t da, int64_t db) {
    if (da == 1 && db == 0) {
      const float bv = bd[ib];
      for (int64_t i = 0; i < n; i++) yd[o + i] = fn(ad[ia + i], bv);
    } else if (da == 0 && db == 1) {
      const float av = ad[ia];
      for (int64_t i = 0; i < n; i++) yd[o + i] = fn(av, bd[ib + i]);
    } else {
      for (int64_t i = 0; i < n; i++) yd[o + i] = fn(ad[ia + i * da], bd[ib + i * db]);
    }
  });
  return true;
}

inline float fmaxNan(float a, float b) { return (a != a || b != b) ? a + b : (a > b ? a : b); }
inline float fminNan(float a, float b) { return (a != a || b != b) ? a + b : (a < b ? a : b); }

bool add(Call& c) { return binary(c, "add", [](float a, float b) { return a + b; }); }
bool sub(Call& c) { return binary(c, "sub", [](float a, float b) { return a - b; }); }
bool mul(Call& c) { return binary(c, "mul", [](float a, float b) { return a * b; }); }
bool div(Call& c) { return binary(c, "div", [](float a, float b) { return a / b; }); }
bool maximum(Call& c) { return binary(c, "maximum", fmaxNan); }
bool minimum(Call& c) { return binary(c, "minimum", fminNan); }

template <class Op>
bool mapX(Call& c, const char* op, int nAttr, const Op& fn) {
  if (!arity(c, op, 1, 1, 1, nAttr)) return false;
  if (!sizeIs(c, op, "y", c.out[0], c.in[0].size)) return false;
  const float* x = c.in[0].data;
  float* y = c.out[0].data;
  par(c, c.in[0].size, 16384, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) y[i] = fn(x[i]);
  });
  return true;
}

/** The scalar operand: any float (NaN and ±Inf included: it is data, not a size). */
inline float scalarAttr(const Call& c) { return (float)c.attr[0]; }

bool addScalar(Call& c) { const float v = scalarAttr(c); return mapX(c, "addScalar", 1, [v](float x) { return x + v; }); }
bool mulScalar(Call& c) { const float v = scalarAttr(c); return mapX(c, "mulScalar", 1, [v](float x) { return x * v; }); }
bool rdivScalar(Call& c) { const float v = scalarAttr(c); return mapX(c, "rdivScalar", 1, [v](float x) { return v / x; }); }
bool maximumScalar(Call& c) { const float v = scalarAttr(c); return mapX(c, "maximumScalar", 1, [v](float x) { return fmaxNan(x, v); }); }
bool minimumScalar(Call& c) { const float v = scalarAttr(c); return mapX(c, "minimumScalar", 1, [v](float x) { return fminNan(x, v); }); }
bool neg(Call& c) { return mapX(c, "neg", 0, [](float x) { return -x; }); }
bool sqrtK(Call& c) { return mapX(c, "sqrt", 0, [](float x) { return sqrtf(x); }); }
bool absK(Call& c) { return mapX(c, "abs", 0, [](float x) { return fabsf(x); }); }
bool expK(Call& c) { return mapX(c, "exp", 0, [](float x) { return expf(x); }); }
bool logK(Call& c) { return mapX(c, "log", 0, [](float x) { return logf(x); }); }

bool fill(Call& c) {
  const char* op = "fill";
  if (!arity(c, op, 0, 0, 1, 1)) return false;
  const float v = scalarAttr(c);
  float* y = c.out[0].data;
  par(c, c.out[0].size, 65536, [&](int64_t b, int64_t e, int) {
    for (int64_t i = b; i < e; i++) y[i] = v;
  });
  return true;
}

/** Sum over the axes listed in the attributes; y keeps reduced axes as 1. */
bool sum(Call& c) {
  const char* op = "sum";
  if (c.nIn != 1 || !c.in[0].data || c.nOut != 1) return fail(c, "%s: expected 1 input and 1 output", op);
  const Tensor &x = c.in[0], &y = c.out[0];
  bool reduced[kMaxRank] = {};
  for (int i = 0; i < c.nAttr; i++) {
    int64_t ax;
    if (!attrInt(c, op, i, 0, x.rank - 1, &ax)) return false;
    reduced[ax] = true;
  }
  int64_t ys = 1;
  for (int d = 0; d < x.rank; d++) ys *= reduced[d] ? 1 : x.shape[d];
  if (!sizeIs(c, op, "y", y, ys)) return false;
  // x as [outer, reduce-or-keep blocks...]: accumulate in double per output element
  double* acc = reinterpret_cast<double*>(scratch(c, 0, 2, 2 * ys));
  for (int64_t i = 0; i < ys; i++) acc[i] = 0;
  int64_t ystride[kMaxRank];
  int64_t s = 1;
  for (int d = x.rank - 1; d >= 0; d--) {
    ystride[d] = reduced[d] ? 0 : s;
    s *= reduced[d] ? 1 : x.shape[d];
  }
  const int64_t last = x.rank ? x.shape[x.rank - 1] : 1;
  const float* xd = x.data;
  for (int64_t row = 0; row < x.size / last; row++) {
    int64_t rem = row, oy = 0;
    for (int d = x.rank - 2; d >= 0; d--) {
      oy += (rem % x.shape[d]) * ystride[d];
      rem /= x.shape[d];
    }
    const float* xr = xd + row * last;
    if (x.rank && reduced[x.rank - 1]) {
      acc[oy] += sumOf(xr, last);
    } else {
      for (int64_t i = 0; i < last; i++) acc[oy + i] += xr[i];
    }
  }
  for (int64_t i = 0; i < ys; i++) y.data[i] = (float)acc[i];
  return true;
}

// y[i] = x at element strides sx of y's index (broadcastTo: 0 on broadcast axes; transpose: permuted).
static bool copyStrided(Call& c, const Tensor& x, const Tensor& y, const int64_t* sx) {
  const int64_t zero[kMaxRank] = {};
  const float* xd = x.data;
  float* yd = y.data;
  forRuns(c, y, sx, zero, [&](int64_t o, int64_t ix, int64_t, int64_t n, int64_t dx, int64_t) {
    for (int64_t i = 0; i < n; i++) yd[o + i] = xd[ix + i * dx];
  });
  return true;
}

bool broadcastTo(Call& c) {
  const char* op = "broadcastTo";
  if (c.nIn != 1 || !c.in[0].data || c.nOut != 1) return fail(c, "%s: expected 1 input and 1 output", op);
  const Tensor &x = c.in[0], &y = c.out[0];
  int64_t sx[kMaxRank];
  if (!broadcastStrides(x, y, sx)) return fail(c, "%s: x does not broadcast to the output shape", op);
  return copyStrided(c, x, y, sx);
}

bool transpose(Call& c) {
  const char* op = "transpose";
  if (c.nIn != 1 || !c.in[0].data || c.nOut != 1) return fail(c, "%s: expected 1 input and 1 output", op);
  const Tensor &x = c.in[0], &y = c.out[0];
  if (c.nAttr != x.rank || y.rank != x.rank) return fail(c, "%s: perm must list %d axes", op, x.rank);
  int64_t xstride[kMaxRank], sx[kMaxRank];
  bool seen[kMaxRank] = {};
  int64_t s = 1;
  for (int d = x.rank - 1; d >= 0; d--) xstride[d] = s, s *= x.shape[d];
  for (int i = 0; i < x.rank; i++) {
    int64_t p;
    if (!attrInt(c, op, i, 0, x.rank - 1, &p)) return false;
    if (seen[p]) return fail(c, "%s: perm repeats axis %lld", op, (long long)p);
    seen[p] = true;
    if (y.shape[i] != x.shape[p]) return fail(c, "%s: output axis %d must have size %lld", op, i, (long long)x.shape[p]);
    sx[i] = xstride[p];
  }
  return copyStrided(c, x, y, sx);
}

bool concat(Call& c) {
  const char* op = "concat";
  if (!arity(c, op, 2, 2, 1, 4)) return false;
  int64_t outer, as, bs, inner;
  const int64_t lim = int64_t(1) << 40;
  if (!attrInt(c, op, 0, 1, lim, &outer) || !attrInt(c, op, 1, 1, lim, &as) || !attrInt(c, op, 2, 1, lim, &bs) ||
      !attrInt(c, op, 3, 1, lim, &inner))
    return false;
  if (!sizeIs(c, op, "a", c.in[0], outer * as * inner) || !sizeIs(c, op, "b", c.in[1], outer * bs * inner) ||
      !sizeIs(c, op, "y", c.out[0], outer * (as + bs) * inner))
    return false;
  const float *ad = c.in[0].data, *bd = c.in[1].data;
  float* yd = c.out[0].data;
  const int64_t ra = as * inner, rb = bs * inner;
  par(c, outer, imax(1, 65536 / (ra + rb)), [&](int64_t b, int64_t e, int) {
    for (int64_t o = b; o < e; o++) {
      memcpy(yd + o * (ra + rb), ad + o * ra, sizeof(float) * ra);
      memcpy(yd + o * (ra + rb) + ra, bd + o * rb, sizeof(float) * rb);
    }
  });
  return true;
}

bool slice(Call& c) {
  const char* op = "slice";
  if (!arity(c, op, 1, 1, 1, 5)) return false;
  int64_t outer, axis, inner, begin, size;
  const int64_t lim = int64_t(1) << 40;
  if (!attrInt(c, op, 0, 1, lim, &outer) || !attrInt(c, op, 1, 1, lim, &axis) || !attrInt(c, op, 2, 1, lim, &inner) ||
      !attrInt(c, op, 3, 0, lim, &begin) || !attrInt(c, op, 4, 1, lim, &size))
    return false;
  if (begin + size > axis) return fail(c, "%s: begin + size (%lld) exceeds the axis (%lld)", op, (long long)(begin + size), (long long)axis);
  if (!sizeIs(c, op, "x", c.in[0], outer * axis * inner) || !sizeIs(c, op, "y", c.out[0], outer * size * inner)) return false;
  const float* xd = c.in[0].data;
  float* yd = c.out[0].data;
  par(c, outer, imax(1, 65536 / (size * inner)), [&](int64_t b, int64_t e, int) {
    for (int64_t o = b; o < e; o++) memcpy(yd + o * size * inner, xd + (o * axis + begin) * inner, sizeof(float) * size * inner);
  });
  return true;
}

}  // namespace

extern const KernelEntry kElementwiseKernels[] = {
    {"add", add}, {"sub", sub}, {"mul", mul}, {"div", div}, {"maximum", maximum}, {"minimum", minimum},
    {"addScalar", addScalar}, {"mulScalar", mulScalar}, {"rdivScalar", rdivScalar},
    {"maximumScalar", maximumScalar}, {"minimumScalar", minimumScalar},
    {"neg", neg}, {"sqrt", sqrtK}, {"abs", absK}, {"exp", expK}, {"log", logK},
    {"fill", fill}, {"sum", sum}, {"broadcastTo", broadcastTo}, {"transpose", transpose},
    {"concat", concat}, {"slice", slice},
    {nullptr, nullptr},
};

}  // namespace HC_ISA
}  // namespace hc
