// Direct 3x3 / stride 1 / pad 1 convolution with 16 input and 16 output channels on NHWC activations, in
// AVX-512 registers: one output pixel's 16 channels are one vector. ResNet-20/56/110's first stage is made of
// these convs (a third of their FLOPs); oneDNN's direct kernels ran them at ~55% of the two cores' FMA peak
// (1.60 ms forward, 1.65 ms backward-data at batch 64, buffers cold) and this at ~75% (1.34 ms for both;
// best of 15 alternating rounds in one process). The backward-data pass is the same kernel on flipped,
// transposed weights; the forward pass can also sum its output per channel for the batch norm after it.
// Used only where the CPU has AVX-512F (checked at run time); WHITTLE_DIRECT16=0 disables.
#include <immintrin.h>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"

namespace whittle {

bool direct16_available() {
  static int v = -1;
  if (v < 0) {
    const char* e = std::getenv("WHITTLE_DIRECT16");
    bool off = e && std::string(e) == "0";
    v = (!off && __builtin_cpu_supports("avx512f")) ? 1 : 0;
  }
  return v == 1;
}

bool direct16_shape(const ConvDims& d) {
  return direct16_available() && d.c == 16 && d.o == 16 && d.kh == 3 && d.kw == 3 && d.sh == 1 && d.sw == 1 &&
         d.dh == 1 && d.dw == 1 && d.pt == 1 && d.pl == 1 && d.pb == 1 && d.pr == 1 && d.oh == d.h && d.ow == d.w;
}

namespace {

// Per-row sums of (y - shift) and (y - shift)^2 per output channel, for batch-norm statistics.
struct RowStats {
  __m512 s1, s2, shift;
};

// R consecutive output pixels of one row, starting at ow0: R accumulators, each FMA broadcasting one input
// channel from memory against one weight row (HWIO: w[kh][kw][ci][0..15]). LEFT / RIGHT: the block touches
// the left / right padding (the first pixel has no kw = 0 tap, the last no kw = 2 tap).
template <int R, bool LEFT, bool RIGHT, bool STATS>
__attribute__((target("avx512f"), always_inline)) inline void fwd_block(const float* x, int64_t h, int64_t w,
                                                                       int64_t n, int64_t oh, int64_t ow0,
                                                                       const float* wt, const float* bias, bool relu,
                                                                       float* y, RowStats* st) {
  __m512 acc[R];
  __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
  for (int r = 0; r < R; r++) acc[r] = b0;
  for (int kh = 0; kh < 3; kh++) {
    int64_t ih = oh + kh - 1;
    if (ih < 0 || ih >= h) continue;
    const float* xr = x + ((n * h + ih) * w + ow0) * 16;
    for (int kw = 0; kw < 3; kw++) {
      const float* wk = wt + (kh * 3 + kw) * 256;
      const float* xb = xr + (kw - 1) * 16;  // pixel ow0 + r + kw - 1
#pragma GCC unroll 16
      for (int ci = 0; ci < 16; ci++) {
        __m512 wv = _mm512_loadu_ps(wk + ci * 16);
#pragma GCC unroll 16
        for (int r = 0; r < R; r++) {
          if (LEFT && kw == 0 && r == 0) continue;
          if (RIGHT && kw == 2 && r == R - 1) continue;
          acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(xb[r * 16 + ci]), wv, acc[r]);
        }
      }
    }
  }
  float* yb = y + ((n * h + oh) * w + ow0) * 16;
  const __m512 zero = _mm512_setzero_ps();
  for (int r = 0; r < R; r++) {
    __m512 v = relu ? _mm512_max_ps(acc[r], zero) : acc[r];
    _mm512_storeu_ps(yb + r * 16, v);
    if constexpr (STATS) {
      __m512 dv = _mm512_sub_ps(v, st->shift);
      st->s1 = _mm512_add_ps(st->s1, dv);
      st->s2 = _mm512_fmadd_ps(dv, dv, st->s2);
    }
  }
}

// One output row: blocks of R pixels, then the remainder in halving block sizes.
template <int R, bool STATS>
__attribute__((target("avx512f"))) void fwd_row(const float* x, int64_t h, int64_t w, int64_t n, int64_t oh,
                                                int64_t ow0, const float* wt, const float* bias, bool relu, float* y,
                                                RowStats* st) {
  for (; w - ow0 >= R; ow0 += R) {
    bool l = ow0 == 0, r = ow0 + R == w;
    if (l && r) fwd_block<R, true, true, STATS>(x, h, w, n, oh, ow0, wt, bias, relu, y, st);
    else if (l) fwd_block<R, true, false, STATS>(x, h, w, n, oh, ow0, wt, bias, relu, y, st);
    else if (r) fwd_block<R, false, true, STATS>(x, h, w, n, oh, ow0, wt, bias, relu, y, st);
    else fwd_block<R, false, false, STATS>(x, h, w, n, oh, ow0, wt, bias, relu, y, st);
  }
  if constexpr (R > 1) {
    if (ow0 < w) fwd_row<R / 2, STATS>(x, h, w, n, oh, ow0, wt, bias, relu, y, st);
  }
}

__attribute__((target("avx512f"))) void fwd_all(const ConvDims& d, const float* x, const float* wt, const float* bias,
                                                bool relu, float* y) {
  int64_t rows = d.n * d.h;
#pragma omp parallel for schedule(static) if (rows > 1)
  for (int64_t row = 0; row < rows; row++) fwd_row<16, false>(x, d.h, d.w, row / d.h, row % d.h, 0, wt, bias, relu, y, nullptr);
}

// The forward pass that also sums its output per channel (as bn_stats: shifted by the first pixel's
// values, float sums per row, double across rows; per-thread partials added in thread order).
__attribute__((target("avx512f"))) void fwd_all_stats(const ConvDims& d, const float* x, const float* wt,
                                                      const float* bias, bool relu, float* y, float* mean,
                                                      float* var) {
  int64_t rows = d.n * d.h;
  fwd_row<16, false>(x, d.h, d.w, 0, 0, 0, wt, bias, relu, y, nullptr);  // the first pixel: the shift
  alignas(64) float shift[16];
  std::memcpy(shift, y, sizeof shift);
  int nt = rows > 1 ? omp_get_max_threads() : 1;
  std::vector<double> p1((size_t)nt * 16, 0.0), p2((size_t)nt * 16, 0.0);
#pragma omp parallel num_threads(nt)
  {
    double* a1 = p1.data() + (size_t)omp_get_thread_num() * 16;
    double* a2 = p2.data() + (size_t)omp_get_thread_num() * 16;
#pragma omp for schedule(static)
    for (int64_t row = 0; row < rows; row++) {
      RowStats st{_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_loadu_ps(shift)};
      fwd_row<16, true>(x, d.h, d.w, row / d.h, row % d.h, 0, wt, bias, relu, y, &st);
      alignas(64) float f1[16], f2[16];
      _mm512_store_ps(f1, st.s1);
      _mm512_store_ps(f2, st.s2);
      for (int j = 0; j < 16; j++) {
        a1[j] += f1[j];
        a2[j] += f2[j];
      }
    }
  }
  std::vector<double> s1, s2;
  sum_thread_partials(nt, 16, p1, p2, s1, s2);
  stats_from_sums(16, (double)(rows * d.w), shift, s1, s2, mean, var);
}

// Backward weights, three taps (kw = 0, 1, 2 of one kh) at once over 8 input channels (ci0..ci0+7):
// acc[kw * 8 + c] += x[q][ci0 + c] * dy[q + 1 - kw] for the pixels q of one input row. 24 accumulators, one
// broadcast of x per 3 FMAs. EDGE_L / EDGE_R: q is the row's first / last pixel (no dy[q - 1] / dy[q + 1]).
template <bool EDGE_L, bool EDGE_R>
__attribute__((target("avx512f"), always_inline)) inline void bwdw_step(const float* xq, const float* dq, __m512* acc) {
  __m512 d0 = EDGE_R ? _mm512_setzero_ps() : _mm512_loadu_ps(dq + 16);
  __m512 d1 = _mm512_loadu_ps(dq);
  __m512 d2 = EDGE_L ? _mm512_setzero_ps() : _mm512_loadu_ps(dq - 16);
#pragma GCC unroll 8
  for (int c = 0; c < 8; c++) {
    __m512 bx = _mm512_set1_ps(xq[c]);
    if (!EDGE_R) acc[c] = _mm512_fmadd_ps(bx, d0, acc[c]);
    acc[8 + c] = _mm512_fmadd_ps(bx, d1, acc[8 + c]);
    if (!EDGE_L) acc[16 + c] = _mm512_fmadd_ps(bx, d2, acc[16 + c]);
  }
}

// dw (HWIO, 2304 floats) += the contribution of image n.
__attribute__((target("avx512f"))) void bwdw_image(const float* x, const float* dy, int64_t h, int64_t w, int64_t n,
                                                   float* dw) {
  for (int kh = 0; kh < 3; kh++)
    for (int half = 0; half < 2; half++) {
      __m512 acc[24];
      for (int kw = 0; kw < 3; kw++)
        for (int c = 0; c < 8; c++) acc[kw * 8 + c] = _mm512_loadu_ps(dw + ((kh * 3 + kw) * 16 + half * 8 + c) * 16);
      for (int64_t oh = kh == 0 ? 1 : 0; oh < (kh == 2 ? h - 1 : h); oh++) {
        const float* xr = x + ((n * h + oh + kh - 1) * w) * 16 + half * 8;
        const float* dr = dy + ((n * h + oh) * w) * 16;
        if (w == 1) {
          bwdw_step<true, true>(xr, dr, acc);
          continue;
        }
        bwdw_step<true, false>(xr, dr, acc);
        for (int64_t q = 1; q < w - 1; q++) bwdw_step<false, false>(xr + q * 16, dr + q * 16, acc);
        bwdw_step<false, true>(xr + (w - 1) * 16, dr + (w - 1) * 16, acc);
      }
      for (int kw = 0; kw < 3; kw++)
        for (int c = 0; c < 8; c++) _mm512_storeu_ps(dw + ((kh * 3 + kw) * 16 + half * 8 + c) * 16, acc[kw * 8 + c]);
    }
}

// Both backward passes, image by image in one parallel region: an image's dy is still in cache when its
// weight gradient reads it. Per-thread dw partials added in thread order.
__attribute__((target("avx512f"))) void bwd_both(const ConvDims& d, const float* x, const float* dy,
                                                 const float* flipped, float* dx, float* dw) {
  int nt = d.n > 1 ? omp_get_max_threads() : 1;
  std::vector<float> parts((size_t)nt * 2304, 0.f);
#pragma omp parallel num_threads(nt)
  {
    float* part = parts.data() + (size_t)omp_get_thread_num() * 2304;
#pragma omp for schedule(static)
    for (int64_t n = 0; n < d.n; n++) {
      for (int64_t oh = 0; oh < d.h; oh++) fwd_row<16, false>(dy, d.h, d.w, n, oh, 0, flipped, nullptr, false, dx, nullptr);
      bwdw_image(x, dy, d.h, d.w, n, part);
    }
  }
  for (int i = 0; i < 2304; i++) {
    float sum = 0.f;
    for (int t = 0; t < nt; t++) sum += parts[(size_t)t * 2304 + i];
    dw[i] = sum;
  }
}

void flip_weights(const float* wt, float* flipped) {
  for (int t = 0; t < 9; t++)
    for (int ci = 0; ci < 16; ci++)
      for (int co = 0; co < 16; co++) flipped[(8 - t) * 256 + co * 16 + ci] = wt[t * 256 + ci * 16 + co];
}

}  // namespace

void direct16_bwd_both(const ConvDims& d, const float* x, const float* dy, const float* wt, float* dx, float* dw) {
  alignas(64) float flipped[9 * 256];
  flip_weights(wt, flipped);
  bwd_both(d, x, dy, flipped, dx, dw);
}

void direct16_fwd(const ConvDims& d, const float* x, const float* wt, const float* bias, bool relu, float* y,
                  float* mean, float* var) {
  if (mean && var) return fwd_all_stats(d, x, wt, bias, relu, y, mean, var);
  fwd_all(d, x, wt, bias, relu, y);
}

// dx = conv(dy, w') with w'[kh][kw][co][ci] = w[2-kh][2-kw][ci][co]: the same geometry (3x3, pad 1).
void direct16_bwd_data(const ConvDims& d, const float* dy, const float* wt, float* dx) {
  alignas(64) float flipped[9 * 256];
  flip_weights(wt, flipped);
  fwd_all(d, dy, flipped, nullptr, false, dx);
}

}  // namespace whittle
