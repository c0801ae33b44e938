// Element-wise, reduction, batch-norm, softmax and transpose loops, multi-threaded with OpenMP.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels.h"

namespace whittle {

static constexpr int64_t kPar = 1 << 15;  // below this many elements, stay on one thread

// v where c > 0, else +0 (NaN c -> 0), as a mask: GCC compiled `c > 0 ? v : 0` in some loops to a scalar
// branch, which mispredicts on random signs (relu_grad_add ran at 4 GB/s); the mask form vectorises.
static inline float keep_if_positive(float c, float v) {
  uint32_t m = c > 0.f ? 0xffffffffu : 0u, b;
  std::memcpy(&b, &v, 4);
  b &= m;
  std::memcpy(&v, &b, 4);
  return v;
}

// a where cond, else b, as bit masks (vectorises where GCC turned the ?: into a branch).
static inline float select(bool cond, float a, float b) {
  uint32_t m = cond ? 0xffffffffu : 0u, x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  x = (x & m) | (y & ~m);
  std::memcpy(&a, &x, 4);
  return a;
}

template <int OP>
static inline float bop(float a, float b) {
  if constexpr (OP == B_ADD) return a + b;
  if constexpr (OP == B_SUB) return a - b;
  if constexpr (OP == B_MUL) return a * b;
  if constexpr (OP == B_DIV) return a / b;
  if constexpr (OP == B_MAX) return (a > b || std::isnan(a)) ? a : b;
  if constexpr (OP == B_MIN) return (a < b || std::isnan(a)) ? a : b;
  if constexpr (OP == B_SQDIFF) return (a - b) * (a - b);
  if constexpr (OP == B_POW) return std::pow(a, b);
  if constexpr (OP == B_RELU_GRAD) return keep_if_positive(b, a);  // dy * step(y)
  if constexpr (OP == B_STEP_MUL) return keep_if_positive(b, a);
  if constexpr (OP == B_TWICE_MUL) return a * (b * 2.f);  // Square gradient: dy * 2x
  return 0.f;
}

template <int OP>
static void binary_t(int rank, const int64_t* shape, const float* a, const int64_t* as, const float* b,
                     const int64_t* bs, float* out) {
  int64_t inner = shape[rank - 1];
  int64_t rows = 1;
  for (int i = 0; i < rank - 1; i++) rows *= shape[i];
  int64_t ia = as[rank - 1], ib = bs[rank - 1];
  int64_t total = rows * inner;
  if (rows == 1) {
    // One long row (same shapes, or one operand a scalar): split it across threads, vectorised.
    if (ia == 1 && ib == 1) {
#pragma omp parallel for simd schedule(static) if (total > kPar)
      for (int64_t j = 0; j < inner; j++) out[j] = bop<OP>(a[j], b[j]);
    } else if (ia == 1 && ib == 0) {
      const float bv = b[0];
#pragma omp parallel for simd schedule(static) if (total > kPar)
      for (int64_t j = 0; j < inner; j++) out[j] = bop<OP>(a[j], bv);
    } else if (ia == 0 && ib == 1) {
      const float av = a[0];
#pragma omp parallel for simd schedule(static) if (total > kPar)
      for (int64_t j = 0; j < inner; j++) out[j] = bop<OP>(av, b[j]);
    } else {
#pragma omp parallel for schedule(static) if (total > kPar)
      for (int64_t j = 0; j < inner; j++) out[j] = bop<OP>(a[j * ia], b[j * ib]);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (total > kPar)
  for (int64_t r = 0; r < rows; r++) {
    int64_t oa = 0, ob = 0, rem = r;
    for (int d = rank - 2; d >= 0; d--) {
      int64_t idx = rem % shape[d];
      rem /= shape[d];
      oa += idx * as[d];
      ob += idx * bs[d];
    }
    const float* ar = a + oa;
    const float* br = b + ob;
    float* o = out + r * inner;
    if (ia == 1 && ib == 1) {
#pragma omp simd
      for (int64_t j = 0; j < inner; j++) o[j] = bop<OP>(ar[j], br[j]);
    } else if (ia == 1 && ib == 0) {
      float bv = br[0];
#pragma omp simd
      for (int64_t j = 0; j < inner; j++) o[j] = bop<OP>(ar[j], bv);
    } else if (ia == 0 && ib == 1) {
      float av = ar[0];
#pragma omp simd
      for (int64_t j = 0; j < inner; j++) o[j] = bop<OP>(av, br[j]);
    } else {
      for (int64_t j = 0; j < inner; j++) o[j] = bop<OP>(ar[j * ia], br[j * ib]);
    }
  }
}

void binary(int op, int rank, const int64_t* shape, const float* a, const int64_t* as, const float* b,
            const int64_t* bs, float* out) {
  switch (op) {
    case B_ADD: return binary_t<B_ADD>(rank, shape, a, as, b, bs, out);
    case B_SUB: return binary_t<B_SUB>(rank, shape, a, as, b, bs, out);
    case B_MUL: return binary_t<B_MUL>(rank, shape, a, as, b, bs, out);
    case B_DIV: return binary_t<B_DIV>(rank, shape, a, as, b, bs, out);
    case B_MAX: return binary_t<B_MAX>(rank, shape, a, as, b, bs, out);
    case B_MIN: return binary_t<B_MIN>(rank, shape, a, as, b, bs, out);
    case B_SQDIFF: return binary_t<B_SQDIFF>(rank, shape, a, as, b, bs, out);
    case B_POW: return binary_t<B_POW>(rank, shape, a, as, b, bs, out);
    case B_RELU_GRAD: return binary_t<B_RELU_GRAD>(rank, shape, a, as, b, bs, out);
    case B_STEP_MUL: return binary_t<B_STEP_MUL>(rank, shape, a, as, b, bs, out);
    case B_TWICE_MUL: return binary_t<B_TWICE_MUL>(rank, shape, a, as, b, bs, out);
  }
}

template <int OP>
static inline float uop(float v, float alpha) {
  if constexpr (OP == U_RELU) return v < 0.f ? 0.f : v;
  if constexpr (OP == U_STEP) return std::isnan(v) ? v : (v > 0.f ? 1.f : alpha);
  if constexpr (OP == U_SQRT) return std::sqrt(v);
  if constexpr (OP == U_RSQRT) return 1.f / std::sqrt(v);
  if constexpr (OP == U_SQUARE) return v * v;
  if constexpr (OP == U_EXP) return std::exp(v);
  if constexpr (OP == U_LOG) return std::log(v);
  if constexpr (OP == U_NEG) return -v;
  if constexpr (OP == U_ABS) return std::fabs(v);
  if constexpr (OP == U_SIGMOID) return 1.f / (1.f + std::exp(-v));
  if constexpr (OP == U_TANH) return std::tanh(v);
  if constexpr (OP == U_RECIP) return 1.f / v;
  if constexpr (OP == U_RELU6) return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
  if constexpr (OP == U_COPY) return v;
  if constexpr (OP == U_ELU) return v >= 0.f ? v : std::expm1(v);
  if constexpr (OP == U_SIGN) return v > 0.f ? 1.f : (v < 0.f ? -1.f : 0.f);
  if constexpr (OP == U_LEAKY) return select(v < 0.f, alpha * v, v);
  return 0.f;
}

template <int OP>
static void unary_t(int64_t n, const float* x, float* out, float alpha) {
#pragma omp parallel for simd if (n > kPar)
  for (int64_t i = 0; i < n; i++) out[i] = uop<OP>(x[i], alpha);
}

void unary(int op, int64_t n, const float* x, float* out, float alpha) {
  switch (op) {
    case U_RELU: return unary_t<U_RELU>(n, x, out, alpha);
    case U_STEP: return unary_t<U_STEP>(n, x, out, alpha);
    case U_SQRT: return unary_t<U_SQRT>(n, x, out, alpha);
    case U_RSQRT: return unary_t<U_RSQRT>(n, x, out, alpha);
    case U_SQUARE: return unary_t<U_SQUARE>(n, x, out, alpha);
    case U_EXP: return unary_t<U_EXP>(n, x, out, alpha);
    case U_LOG: return unary_t<U_LOG>(n, x, out, alpha);
    case U_NEG: return unary_t<U_NEG>(n, x, out, alpha);
    case U_ABS: return unary_t<U_ABS>(n, x, out, alpha);
    case U_SIGMOID: return unary_t<U_SIGMOID>(n, x, out, alpha);
    case U_TANH: return unary_t<U_TANH>(n, x, out, alpha);
    case U_RECIP: return unary_t<U_RECIP>(n, x, out, alpha);
    case U_RELU6: return unary_t<U_RELU6>(n, x, out, alpha);
    case U_COPY: return unary_t<U_COPY>(n, x, out, alpha);
    case U_ELU: return unary_t<U_ELU>(n, x, out, alpha);
    case U_SIGN: return unary_t<U_SIGN>(n, x, out, alpha);
    case U_LEAKY: return unary_t<U_LEAKY>(n, x, out, alpha);
  }
}

// Reductions accumulate in double (the cpu backend accumulates in JS doubles).
void reduce(int op, int64_t outer, int64_t r, int64_t inner, const float* x, float* out) {
  bool isSum = op == R_SUM || op == R_MEAN;
  double scale = op == R_MEAN ? 1.0 / (double)r : 1.0;
  int64_t total = outer * r * inner;
  int nt = total > kPar ? omp_get_max_threads() : 1;
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (nt > 1 && outer >= nt)
    for (int64_t o = 0; o < outer; o++) {
      const float* p = x + o * r;
      if (isSum) {
        double s = 0;
        if (nt > 1 && outer < nt) {
#pragma omp parallel for reduction(+ : s)
          for (int64_t i = 0; i < r; i++) s += p[i];
        } else {
#pragma omp simd reduction(+ : s)
          for (int64_t i = 0; i < r; i++) s += p[i];
        }
        out[o] = (float)(s * scale);
      } else {
        float m = p[0];
        for (int64_t i = 1; i < r; i++) {
          float v = p[i];
          if (std::isnan(v)) { m = v; break; }
          m = op == R_MAX ? (v > m ? v : m) : (v < m ? v : m);
        }
        out[o] = m;
      }
    }
    return;
  }
  if (outer >= nt || outer * inner >= (int64_t)nt * 4096) {
#pragma omp parallel for schedule(static) if (nt > 1)
    for (int64_t o = 0; o < outer; o++) {
      const float* p = x + o * r * inner;
      float* q = out + o * inner;
      if (isSum) {
        std::vector<double> acc(inner, 0.0);
        for (int64_t i = 0; i < r; i++) {
          const float* row = p + i * inner;
#pragma omp simd
          for (int64_t j = 0; j < inner; j++) acc[j] += row[j];
        }
        for (int64_t j = 0; j < inner; j++) q[j] = (float)(acc[j] * scale);
      } else {
        std::memcpy(q, p, sizeof(float) * inner);
        for (int64_t i = 1; i < r; i++) {
          const float* row = p + i * inner;
          for (int64_t j = 0; j < inner; j++) {
            float v = row[j];
            if (op == R_MAX ? (v > q[j] || std::isnan(v)) : (v < q[j] || std::isnan(v))) q[j] = v;
          }
        }
      }
    }
    return;
  }
  // Few outputs, long reduction (bias gradients, batch-norm statistics): split r across threads.
  int64_t oi = outer * inner;
  std::vector<double> part((size_t)nt * oi);
  std::vector<float> partm((size_t)nt * oi);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num();
    int T = omp_get_num_threads();
    double* acc = part.data() + (size_t)t * oi;
    float* accm = partm.data() + (size_t)t * oi;
    std::fill(acc, acc + oi, 0.0);
    int64_t lo = r * t / T, hi = r * (t + 1) / T;
    for (int64_t o = 0; o < outer; o++) {
      const float* p = x + o * r * inner;
      double* a = acc + o * inner;
      float* am = accm + o * inner;
      if (!isSum) {
        if (lo < hi) std::memcpy(am, p + lo * inner, sizeof(float) * inner);
        else std::fill(am, am + inner, NAN);
      }
      for (int64_t i = lo; i < hi; i++) {
        const float* row = p + i * inner;
        if (isSum) {
#pragma omp simd
          for (int64_t j = 0; j < inner; j++) a[j] += row[j];
        } else {
          for (int64_t j = 0; j < inner; j++) {
            float v = row[j];
            if (op == R_MAX ? (v > am[j] || std::isnan(v)) : (v < am[j] || std::isnan(v))) am[j] = v;
          }
        }
      }
    }
  }
  for (int64_t j = 0; j < oi; j++) {
    if (isSum) {
      double s = 0;
      for (int t = 0; t < nt; t++) s += part[(size_t)t * oi + j];
      out[j] = (float)(s * scale);
    } else {
      float m = NAN;
      bool first = true;
      for (int t = 0; t < nt; t++) {
        float v = partm[(size_t)t * oi + j];
        if (r * (t + 1) / nt == r * t / nt) continue;  // empty chunk
        if (first) { m = v; first = false; continue; }
        if (std::isnan(v)) { m = v; break; }
        if (op == R_MAX ? v > m : v < m) m = v;
      }
      out[j] = m;
    }
  }
}

void batchnorm(int64_t n, int64_t c, const float* x, const float* mean, int64_t smean, const float* var,
               int64_t svar, const float* offset, int64_t soff, const float* scale, int64_t sscale, float eps,
               float* y) {
  std::vector<float> mul(c), add(c);
  for (int64_t j = 0; j < c; j++) {
    float inv = 1.f / std::sqrt(var[j * svar] + eps);
    float s = scale ? scale[j * sscale] : 1.f;
    mul[j] = inv * s;
    add[j] = (offset ? offset[j * soff] : 0.f) - mean[j * smean] * inv * s;
  }
  int64_t rows = n / c;
  const float* m = mul.data();
  const float* a = add.data();
#pragma omp parallel for schedule(static) if (n > kPar)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) yr[j] = xr[j] * m[j] + a[j];
  }
}

void softmax(int64_t rows, int64_t cols, const float* x, float* y, bool log) {
#pragma omp parallel for schedule(static) if (rows * cols > kPar)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float m = xr[0];
    for (int64_t j = 1; j < cols; j++) m = std::max(m, xr[j]);
    double s = 0;
    for (int64_t j = 0; j < cols; j++) s += std::exp((double)xr[j] - m);
    if (log) {
      double ls = std::log(s);
      for (int64_t j = 0; j < cols; j++) yr[j] = (float)((double)xr[j] - m - ls);
    } else {
      for (int64_t j = 0; j < cols; j++) yr[j] = (float)(std::exp((double)xr[j] - m) / s);
    }
  }
}

void transpose(int rank, const int64_t* shape, const int64_t* perm, const float* x, float* y) {
  // y[i0..] with y dims = shape[perm[k]]; input strides permuted.
  int64_t istr[8], ydim[8], pstr[8];
  istr[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; d--) istr[d] = istr[d + 1] * shape[d + 1];
  for (int d = 0; d < rank; d++) {
    ydim[d] = shape[perm[d]];
    pstr[d] = istr[perm[d]];
  }
  int64_t inner = ydim[rank - 1], rows = 1;
  for (int d = 0; d < rank - 1; d++) rows *= ydim[d];
  int64_t is = pstr[rank - 1];
#pragma omp parallel for schedule(static) if (rows * inner > kPar)
  for (int64_t r = 0; r < rows; r++) {
    int64_t off = 0, rem = r;
    for (int d = rank - 2; d >= 0; d--) {
      off += (rem % ydim[d]) * pstr[d];
      rem /= ydim[d];
    }
    float* yr = y + r * inner;
    const float* xr = x + off;
    for (int64_t j = 0; j < inner; j++) yr[j] = xr[j * is];
  }
}

void relu_grad_add(int64_t n, const float* a, const float* b, const float* x, float* out) {
#pragma omp parallel for simd if (n > kPar)
  for (int64_t i = 0; i < n; i++) {
    out[i] = keep_if_positive(x[i], a[i] + b[i]);
  }
}

__attribute__((optimize("fp-contract=off"))) void sgd_update(int64_t n, const float* v, const float* g, float c,
                                                              float* out) {
#pragma omp parallel for simd if (n > kPar)
  for (int64_t i = 0; i < n; i++) {
    float t = c * g[i];
    out[i] = v[i] + t;
  }
}

void addn(int64_t n, int count, const float* const* xs, float* out) {
#pragma omp parallel for simd if (n > kPar)
  for (int64_t i = 0; i < n; i++) {
    float s = xs[0][i];
    for (int k = 1; k < count; k++) s += xs[k][i];
    out[i] = s;
  }
}
void strided_copy(int rank, const int64_t* shape_in, const float* src, const int64_t* sstr_in, int64_t soff,
                  float* dst, const int64_t* dstr_in, int64_t doff) {
  // Merge adjacent dims that are contiguous in both src and dst (a slice of [64,34,34,16] to [64,32,32,16]
  // copies 2,048 runs of 512 floats, not 65,536 runs of 16 with an index division each), drop size-1 dims.
  int64_t shape[16], sstr[16], dstr[16];
  int r = 0;
  for (int d = rank - 1; d >= 0; d--) {
    if (shape_in[d] == 1 && rank > 1) continue;
    if (r > 0 && sstr_in[d] == sstr[r - 1] * shape[r - 1] && dstr_in[d] == dstr[r - 1] * shape[r - 1]) {
      shape[r - 1] *= shape_in[d];
      continue;
    }
    shape[r] = shape_in[d];
    sstr[r] = sstr_in[d];
    dstr[r] = dstr_in[d];
    r++;
  }
  if (r == 0) {
    dst[doff] = src[soff];
    return;
  }
  std::reverse(shape, shape + r);
  std::reverse(sstr, sstr + r);
  std::reverse(dstr, dstr + r);
  int64_t inner = shape[r - 1], rows = 1;
  for (int d = 0; d < r - 1; d++) rows *= shape[d];
  int64_t is = sstr[r - 1], os = dstr[r - 1];
  if (rows * inner == 0) return;
#pragma omp parallel for schedule(static) if (rows * inner > kPar && rows > 1)
  for (int64_t row = 0; row < rows; row++) {
    int64_t so = soff, dof = doff, rem = row;
    for (int d = r - 2; d >= 0; d--) {
      int64_t idx = rem % shape[d];
      rem /= shape[d];
      so += idx * sstr[d];
      dof += idx * dstr[d];
    }
    const float* sp = src + so;
    float* o = dst + dof;
    if (is == 1 && os == 1) {
      std::memcpy(o, sp, sizeof(float) * inner);
    } else if (is == 0) {
      float v = sp[0];
      for (int64_t j = 0; j < inner; j++) o[j * os] = v;
    } else {
      for (int64_t j = 0; j < inner; j++) o[j * os] = sp[j * is];
    }
  }
}

void fill(int64_t n, float v, float* out) {
#pragma omp parallel for simd if (n > kPar)
  for (int64_t i = 0; i < n; i++) out[i] = v;
}

void bn_grad(int64_t rows, int64_t c, const float* x, const float* dy, const float* mean, int64_t smean,
             const float* var, int64_t svar, const float* scale, int64_t sscale, float eps, float* dx, float* s1,
             float* s2) {
  std::vector<float> k(c), m(c);
  for (int64_t j = 0; j < c; j++) {
    float inv = 1.f / std::sqrt(var[j * svar] + eps);
    k[j] = inv * (scale ? scale[j * sscale] : 1.f);
    m[j] = mean[j * smean];
  }
  int nt = rows * c > kPar ? omp_get_max_threads() : 1;
  std::vector<double> p1((size_t)nt * c, 0.0), p2((size_t)nt * c, 0.0);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    double* a1 = p1.data() + (size_t)t * c;
    double* a2 = p2.data() + (size_t)t * c;
    std::vector<float> f1(c, 0.f), f2(c, 0.f);
    int64_t lo = rows * t / T, hi = rows * (t + 1) / T;
    const float* kk = k.data();
    const float* mm = m.data();
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * c;
      const float* dr = dy + r * c;
      float* o = dx + r * c;
#pragma omp simd
      for (int64_t j = 0; j < c; j++) {
        float d = dr[j];
        o[j] = d * kk[j];
        f1[j] += d;
        f2[j] += (xr[j] - mm[j]) * d;
      }
      if (((r - lo) & 63) == 63) {  // flush float partials to double every 64 rows
        for (int64_t j = 0; j < c; j++) {
          a1[j] += f1[j];
          a2[j] += f2[j];
          f1[j] = f2[j] = 0.f;
        }
      }
    }
    for (int64_t j = 0; j < c; j++) {
      a1[j] += f1[j];
      a2[j] += f2[j];
    }
  }
  for (int64_t j = 0; j < c; j++) {
    double u = 0, v = 0;
    for (int t = 0; t < nt; t++) {
      u += p1[(size_t)t * c + j];
      v += p2[(size_t)t * c + j];
    }
    s1[j] = (float)u;
    s2[j] = (float)v;
  }
}
void sum_thread_partials(int nt, int64_t c, const std::vector<double>& p1, const std::vector<double>& p2,
                         std::vector<double>& s1, std::vector<double>& s2) {
  s1.assign(c, 0.0);
  s2.assign(c, 0.0);
  for (int t = 0; t < nt; t++)
    for (int64_t j = 0; j < c; j++) {
      s1[j] += p1[(size_t)t * c + j];
      s2[j] += p2[(size_t)t * c + j];
    }
}

// Per-channel sums of f(x, dy) over rows, split across threads (double accumulation, float inner blocks of
// 32 rows). f(c, r, f1, f2) adds row r into f1/f2; `c` is std::integral_constant for 16/32/64 channels so
// that the row loop has a constant trip count and the float partials stay in registers (stats ran at
// 14 GB/s with a runtime count, its partials stored and reloaded every row).
template <typename C, typename F>
static void channel_sums_t(C cc, int64_t rows, F f, std::vector<double>& s1, std::vector<double>& s2) {
  const int64_t c = cc;
  int nt = rows * c > kPar ? omp_get_max_threads() : 1;
  std::vector<double> p1((size_t)nt * c, 0.0), p2((size_t)nt * c, 0.0);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    double* a1 = p1.data() + (size_t)t * c;
    double* a2 = p2.data() + (size_t)t * c;
    // Fixed counts: local arrays (in registers once the row loop is unrolled); others: heap.
    constexpr int64_t kFixed = std::is_integral_v<C> ? 1 : (int64_t)C{};
    alignas(64) float f1[kFixed], f2[kFixed];
    std::vector<float> v1, v2;
    if constexpr (std::is_integral_v<C>) {
      v1.resize(c);
      v2.resize(c);
    }
    float* g1 = std::is_integral_v<C> ? v1.data() : f1;
    float* g2 = std::is_integral_v<C> ? v2.data() : f2;
    int64_t lo = rows * t / T, hi = rows * (t + 1) / T;
    for (int64_t r0 = lo; r0 < hi; r0 += 32) {
      for (int64_t j = 0; j < c; j++) g1[j] = g2[j] = 0.f;
      int64_t r1 = std::min(hi, r0 + 32);
      for (int64_t r = r0; r < r1; r++) f(cc, r, g1, g2);
      for (int64_t j = 0; j < c; j++) {
        a1[j] += g1[j];
        a2[j] += g2[j];
      }
    }
  }
  sum_thread_partials(nt, c, p1, p2, s1, s2);
}

template <typename F>
static void channel_sums(int64_t rows, int64_t c, F f, std::vector<double>& s1, std::vector<double>& s2) {
  switch (c) {
    case 16: return channel_sums_t(std::integral_constant<int64_t, 16>{}, rows, f, s1, s2);
    case 32: return channel_sums_t(std::integral_constant<int64_t, 32>{}, rows, f, s1, s2);
    case 64: return channel_sums_t(std::integral_constant<int64_t, 64>{}, rows, f, s1, s2);
    default: return channel_sums_t(c, rows, f, s1, s2);
  }
}

// Split training batch norm (stats, then an apply pass that may add a residual and apply ReLU, then a
// backward that may fold the ReLU mask in). k/b are computed by one non-inlined function so that the
// backward's recomputed mask fma(x, k, b) > 0 is bit-identical to the forward's output sign.
__attribute__((noinline)) static void bn_coeffs(int64_t c, const float* mean, const float* var, const float* gamma,
                                                const float* beta, float eps, float* k, float* b) {
  for (int64_t j = 0; j < c; j++) {
    float inv = 1.f / std::sqrt(var[j] + eps);
    k[j] = inv * (gamma ? gamma[j] : 1.f);
    b[j] = (beta ? beta[j] : 0.f) - mean[j] * k[j];
  }
}

void stats_from_sums(int64_t c, double rows, const float* shift, const std::vector<double>& s1,
                     const std::vector<double>& s2, float* mean, float* var) {
  for (int64_t j = 0; j < c; j++) {
    double m1 = s1[j] / rows;
    double v = s2[j] / rows - m1 * m1;
    if (v < 0) v = 0;
    mean[j] = (float)(m1 + shift[j]);
    var[j] = (float)v;
  }
}

// Backward through the batch statistics, from s1 = sum(dy) and s2 = sum((x - mean) * dy) per channel:
// dx = k * (dy - a - (x - mean) * q), and dgamma, dbeta.
static void bn_bwd_coeffs(int64_t c, double rows, const float* var, const float* gamma, float eps,
                          const std::vector<double>& s1, const std::vector<double>& s2, float* k, float* a, float* q,
                          float* dgamma, float* dbeta) {
  for (int64_t j = 0; j < c; j++) {
    double inv = 1.0 / std::sqrt((double)var[j] + eps);
    double g = gamma ? gamma[j] : 1.0;
    k[j] = (float)(g * inv);
    a[j] = (float)(s1[j] / rows);
    q[j] = (float)(inv * inv * s2[j] / rows);
    dgamma[j] = (float)(s2[j] * inv);
    dbeta[j] = (float)s1[j];
  }
}

void bn_stats(int64_t rows, int64_t c, const float* x, float* mean, float* var) {
  std::vector<float> shift(x, x + c);
  const float* sh = shift.data();
  std::vector<double> s1, s2;
  channel_sums(rows, c, [&](auto cc, int64_t r, float* f1, float* f2) {
    const int64_t c = cc;
    const float* xr = x + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) {
      float d = xr[j] - sh[j];
      f1[j] += d;
      f2[j] += d * d;
    }
  }, s1, s2);
  stats_from_sums(c, (double)rows, sh, s1, s2, mean, var);
}

void bn_apply(int64_t rows, int64_t c, const float* x, const float* mean, const float* var, const float* gamma,
              const float* beta, float eps, const float* res, bool relu, float* y) {
  std::vector<float> k(c), b(c);
  bn_coeffs(c, mean, var, gamma, beta, eps, k.data(), b.data());
  const float* kk = k.data();
  const float* bb = b.data();
#pragma omp parallel for schedule(static) if (rows * c > kPar)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    if (res) {
      const float* rr = res + r * c;
      if (relu) {
#pragma omp simd
        for (int64_t j = 0; j < c; j++) {
          float v = std::fma(xr[j], kk[j], bb[j]) + rr[j];
          yr[j] = v > 0.f ? v : 0.f;
        }
      } else {
#pragma omp simd
        for (int64_t j = 0; j < c; j++) yr[j] = std::fma(xr[j], kk[j], bb[j]) + rr[j];
      }
    } else if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < c; j++) {
        float v = std::fma(xr[j], kk[j], bb[j]);
        yr[j] = v > 0.f ? v : 0.f;
      }
    } else {
#pragma omp simd
      for (int64_t j = 0; j < c; j++) yr[j] = std::fma(xr[j], kk[j], bb[j]);
    }
  }
}

template <bool RELU>
static void bn_apply_bwd_t(int64_t rows, int64_t c, const float* x, const float* dy, const float* mean,
                           const float* var, const float* gamma, const float* beta, float eps, float* dx,
                           float* dgamma, float* dbeta) {
  std::vector<float> kf(c), bf(c);
  bn_coeffs(c, mean, var, gamma, beta, eps, kf.data(), bf.data());
  const float *mk = kf.data(), *mb = bf.data();
  std::vector<double> s1, s2;
  channel_sums(rows, c, [&](auto cc, int64_t r, float* f1, float* f2) {
    const int64_t c = cc;
    const float* xr = x + r * c;
    const float* dr = dy + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) {
      float d = RELU ? keep_if_positive(std::fma(xr[j], mk[j], mb[j]), dr[j]) : dr[j];
      f1[j] += d;
      f2[j] += (xr[j] - mean[j]) * d;
    }
  }, s1, s2);
  std::vector<float> k(c), a(c), q(c);
  bn_bwd_coeffs(c, (double)rows, var, gamma, eps, s1, s2, k.data(), a.data(), q.data(), dgamma, dbeta);
  const float *kk = k.data(), *aa = a.data(), *qq = q.data();
#pragma omp parallel for schedule(static) if (rows * c > kPar)
  for (int64_t r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    const float* dr = dy + r * c;
    float* o = dx + r * c;
#pragma omp simd
    for (int64_t j = 0; j < c; j++) {
      float d = RELU ? keep_if_positive(std::fma(xr[j], mk[j], mb[j]), dr[j]) : dr[j];
      o[j] = kk[j] * (d - aa[j] - (xr[j] - mean[j]) * qq[j]);
    }
  }
}

void bn_apply_bwd(int64_t rows, int64_t c, const float* x, const float* dy, const float* mean, const float* var,
                  const float* gamma, const float* beta, float eps, bool relu, float* dx, float* dgamma,
                  float* dbeta) {
  if (relu) bn_apply_bwd_t<true>(rows, c, x, dy, mean, var, gamma, beta, eps, dx, dgamma, dbeta);
  else bn_apply_bwd_t<false>(rows, c, x, dy, mean, var, gamma, beta, eps, dx, dgamma, dbeta);
}

void avg_pool(int64_t nb, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow, int64_t fh, int64_t fw,
              int64_t sh, int64_t sw, int64_t top, int64_t left, const float* x, float* out) {
#pragma omp parallel for schedule(static) if (nb * oh * ow * c > kPar && nb * oh > 1)
  for (int64_t row = 0; row < nb * oh; row++) {
    const int64_t b = row / oh, oy = row % oh, y0 = oy * sh - top;
    const int64_t ylo = std::max<int64_t>(y0, 0), yhi = std::min<int64_t>(y0 + fh, h);
    for (int64_t ox = 0; ox < ow; ox++) {
      const int64_t x0 = ox * sw - left;
      const int64_t xlo = std::max<int64_t>(x0, 0), xhi = std::min<int64_t>(x0 + fw, w);
      float* o = out + (row * ow + ox) * c;
      for (int64_t ch = 0; ch < c; ch++) o[ch] = 0.f;
      for (int64_t y = ylo; y < yhi; y++)
        for (int64_t xx = xlo; xx < xhi; xx++) {
          const float* src = x + ((b * h + y) * w + xx) * c;
#pragma omp simd
          for (int64_t ch = 0; ch < c; ch++) o[ch] += src[ch];
        }
      const int64_t count = (yhi > ylo && xhi > xlo) ? (yhi - ylo) * (xhi - xlo) : 0;
      const float inv = count > 0 ? 1.f / (float)count : 0.f;
#pragma omp simd
      for (int64_t ch = 0; ch < c; ch++) o[ch] *= inv;
    }
  }
}

// ---- The same batch norm on oneDNN's nChw16c layout (Winograd convs' activations stay blocked between
// kernels; see src/engine/native/kernels/conv.ts). Data: n images x (c/16) slabs x hw pixels x 16 lanes.

// One 64-byte lane group per (pixel, slab): NHWC offset p*c + b*16, nChw16c offset (b*hw + p)*16.
static void copy_blocked16(int64_t n, int64_t hw, int64_t c, const float* src, float* dst, bool to_blocked) {
  const int64_t cb = c / 16;
#pragma omp parallel for schedule(static) if (n * hw * c > kPar)
  for (int64_t i = 0; i < n; i++) {
    const float* s = src + i * hw * c;
    float* d = dst + i * hw * c;
    for (int64_t p = 0; p < hw; p++)
      for (int64_t b = 0; b < cb; b++) {
        const int64_t nhwc = p * c + b * 16, blocked = (b * hw + p) * 16;
        std::memcpy(d + (to_blocked ? blocked : nhwc), s + (to_blocked ? nhwc : blocked), 64);
      }
  }
}

void to_blocked16(int64_t n, int64_t hw, int64_t c, const float* src, float* dst) {
  copy_blocked16(n, hw, c, src, dst, true);
}

void from_blocked16(int64_t n, int64_t hw, int64_t c, const float* src, float* dst) {
  copy_blocked16(n, hw, c, src, dst, false);
}

// Per-channel sums over nChw16c data: f(e, off, f1, f2) adds the 16 lanes at element e (channels
// off..off+15) into f1/f2. Threads take contiguous slab ranges; float partials per 32 pixels, then double.
template <typename F>
static void channel_sums_b16(int64_t n, int64_t hw, int64_t c, F f, std::vector<double>& s1,
                             std::vector<double>& s2) {
  const int64_t cb = c / 16, slabs = n * cb;
  int nt = n * hw * c > kPar ? omp_get_max_threads() : 1;
  std::vector<double> p1((size_t)nt * c, 0.0), p2((size_t)nt * c, 0.0);
#pragma omp parallel num_threads(nt)
  {
    int t = omp_get_thread_num(), T = omp_get_num_threads();
    double* a1 = p1.data() + (size_t)t * c;
    double* a2 = p2.data() + (size_t)t * c;
    int64_t lo = slabs * t / T, hi = slabs * (t + 1) / T;
    for (int64_t sl = lo; sl < hi; sl++) {
      const int64_t off = (sl % cb) * 16, base = sl * hw * 16;
      for (int64_t p0 = 0; p0 < hw; p0 += 32) {
        alignas(64) float f1[16] = {}, f2[16] = {};
        const int64_t p1e = std::min(hw, p0 + 32);
        for (int64_t p = p0; p < p1e; p++) f(base + p * 16, off, f1, f2);
        for (int j = 0; j < 16; j++) {
          a1[off + j] += f1[j];
          a2[off + j] += f2[j];
        }
      }
    }
  }
  sum_thread_partials(nt, c, p1, p2, s1, s2);
}

void bn_stats_b16(int64_t n, int64_t hw, int64_t c, const float* x, float* mean, float* var) {
  // Shift by the first pixel of the first image, as bn_stats shifts by the first row.
  std::vector<float> shift(c);
  for (int64_t j = 0; j < c; j++) shift[j] = x[(j / 16) * hw * 16 + j % 16];
  const float* sh = shift.data();
  std::vector<double> s1, s2;
  channel_sums_b16(n, hw, c, [&](int64_t e, int64_t off, float* f1, float* f2) {
    const float* xr = x + e;
    const float* s16 = sh + off;
#pragma omp simd
    for (int j = 0; j < 16; j++) {
      float d = xr[j] - s16[j];
      f1[j] += d;
      f2[j] += d * d;
    }
  }, s1, s2);
  stats_from_sums(c, (double)(n * hw), sh, s1, s2, mean, var);
}

void bn_apply_b16(int64_t n, int64_t hw, int64_t c, const float* x, const float* mean, const float* var,
                  const float* gamma, const float* beta, float eps, const float* res, bool relu, float* y) {
  std::vector<float> k(c), b(c);
  bn_coeffs(c, mean, var, gamma, beta, eps, k.data(), b.data());
  const float *kk = k.data(), *bb = b.data();
  const int64_t cb = c / 16, slabs = n * cb;
#pragma omp parallel for schedule(static) if (n * hw * c > kPar)
  for (int64_t sl = 0; sl < slabs; sl++) {
    const int64_t off = (sl % cb) * 16, base = sl * hw * 16;
    const float* ks = kk + off;
    const float* bs = bb + off;
    for (int64_t p = 0; p < hw; p++) {
      const int64_t e = base + p * 16;
      if (res) {
#pragma omp simd
        for (int j = 0; j < 16; j++) {
          float v = std::fma(x[e + j], ks[j], bs[j]) + res[e + j];
          y[e + j] = relu ? (v > 0.f ? v : 0.f) : v;
        }
      } else {
#pragma omp simd
        for (int j = 0; j < 16; j++) {
          float v = std::fma(x[e + j], ks[j], bs[j]);
          y[e + j] = relu ? (v > 0.f ? v : 0.f) : v;
        }
      }
    }
  }
}

template <bool RELU>
static void bn_apply_bwd_b16_t(int64_t n, int64_t hw, int64_t c, const float* x, const float* dy, const float* mean,
                               const float* var, const float* gamma, const float* beta, float eps, float* dx,
                               float* dgamma, float* dbeta) {
  std::vector<float> kf(c), bf(c);
  bn_coeffs(c, mean, var, gamma, beta, eps, kf.data(), bf.data());
  const float *mk = kf.data(), *mb = bf.data();
  std::vector<double> s1, s2;
  channel_sums_b16(n, hw, c, [&](int64_t e, int64_t off, float* f1, float* f2) {
    const float* xr = x + e;
    const float* dr = dy + e;
    const float *k16 = mk + off, *b16 = mb + off, *m16 = mean + off;
#pragma omp simd
    for (int j = 0; j < 16; j++) {
      float d = RELU ? keep_if_positive(std::fma(xr[j], k16[j], b16[j]), dr[j]) : dr[j];
      f1[j] += d;
      f2[j] += (xr[j] - m16[j]) * d;
    }
  }, s1, s2);
  std::vector<float> k(c), a(c), q(c);
  bn_bwd_coeffs(c, (double)(n * hw), var, gamma, eps, s1, s2, k.data(), a.data(), q.data(), dgamma, dbeta);
  const int64_t cb = c / 16, slabs = n * cb;
#pragma omp parallel for schedule(static) if (n * hw * c > kPar)
  for (int64_t sl = 0; sl < slabs; sl++) {
    const int64_t off = (sl % cb) * 16, base = sl * hw * 16;
    const float *kk = k.data() + off, *aa = a.data() + off, *qq = q.data() + off, *m16 = mean + off;
    const float *k16 = mk + off, *b16 = mb + off;
    for (int64_t p = 0; p < hw; p++) {
      const float* xr = x + base + p * 16;
      const float* dr = dy + base + p * 16;
      float* o = dx + base + p * 16;
#pragma omp simd
      for (int j = 0; j < 16; j++) {
        float d = RELU ? keep_if_positive(std::fma(xr[j], k16[j], b16[j]), dr[j]) : dr[j];
        o[j] = kk[j] * (d - aa[j] - (xr[j] - m16[j]) * qq[j]);
      }
    }
  }
}

void bn_apply_bwd_b16(int64_t n, int64_t hw, int64_t c, const float* x, const float* dy, const float* mean,
                      const float* var, const float* gamma, const float* beta, float eps, bool relu, float* dx,
                      float* dgamma, float* dbeta) {
  if (relu) bn_apply_bwd_b16_t<true>(n, hw, c, x, dy, mean, var, gamma, beta, eps, dx, dgamma, dbeta);
  else bn_apply_bwd_b16_t<false>(n, hw, c, x, dy, mean, var, gamma, beta, eps, dx, dgamma, dbeta);
}
}  // namespace whittle
