// Whittle native kernels: oneDNN convolutions/GEMM (conv.cc) and OpenMP element-wise loops (ew.cc).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace whittle {

// Conv geometry, NHWC activations and HWIO weights. Padding is explicit (tfjs's padInfo).
struct ConvDims {
  int64_t n, h, w, c, kh, kw, o, oh, ow, sh, sw, pt, pl, pb, pr, dh, dw;  // dh/dw: tfjs dilation (1 = none)
};

// Each returns an empty string on success, or the error.
// Activations in oneDNN's blocked layout (nChw16c, channels a multiple of 16) for the Winograd path, each
// optional: x given (x_given; the NHWC x may then be null) or to be filled (kept by the caller for the
// backward pass); the blocked forward output y; for the backward, dy given blocked and dx left blocked.
struct BlockedIO {
  float* x = nullptr;
  bool x_given = false;
  float* y = nullptr;
  const float* dy = nullptr;
  float* dx = nullptr;
  // Weights already in the primitive's layout (inference with fixed weights): w_prep of conv_weights_floats()
  // floats, filled here from the HWIO weights unless w_prep_filled, then used instead of reordering them.
  float* w_prep = nullptr;
  bool w_prep_filled = false;
};
// *wino: the Winograd path ran (only then are io's buffers used; passing given/output ones for another
// geometry is an error).
// stats (optional, float[2][o]): filled with y's per-channel batch mean and biased variance where the
// kernel computes them on the way (Direct16 geometries; *stats_done then true), for the batch norm next.
std::string conv_fwd(const ConvDims& d, const float* x, const float* wt, const float* bias, float* y, bool relu,
                     const BlockedIO& io, bool* wino, float* stats = nullptr, bool* stats_done = nullptr);
// Floats of the weights in the layout the forward primitive for this geometry wants, where conv_fwd would
// reorder them on every call (oneDNN's direct convs), else 0 (HWIO used as is: Winograd, Direct16, or the
// same layout). Callers with fixed weights keep such a copy (BlockedIO::w_prep).
int64_t conv_weights_floats(const ConvDims& d, bool bias, bool relu);
// Direct16 (direct16.cc): 3x3 / stride 1 / pad 1 convs with 16 channels in and out, on AVX-512 CPUs.
bool direct16_shape(const ConvDims& d);
// With mean and var: also the output's per-channel batch mean and biased variance (as bn_stats).
void direct16_fwd(const ConvDims& d, const float* x, const float* wt, const float* bias, bool relu, float* y,
                  float* mean = nullptr, float* var = nullptr);
void direct16_bwd_data(const ConvDims& d, const float* dy, const float* wt, float* dx);
// Both backward passes (dx and dw, HWIO) in one pass over the images.
void direct16_bwd_both(const ConvDims& d, const float* x, const float* dy, const float* wt, float* dx, float* dw);
std::string conv_bwd_data(const ConvDims& d, const float* dy, const float* wt, float* dx);
std::string conv_bwd_weights(const ConvDims& d, const float* x, const float* dy, float* dw, float* dbias);
// Both backward passes of a Winograd-planned conv sharing one reorder of dy; *done = false (nothing
// written) for other geometries, whose passes the caller runs separately.
std::string conv_bwd_both(const ConvDims& d, const float* x, const float* dy, const float* wt, float* dx, float* dw,
                          const BlockedIO& io, bool* done);
// Row-major C[b] = op(A[b]) op(B[b]) (+ bias[N]) (relu); batch strides in elements (0 = broadcast).
std::string gemm(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a, int64_t sa,
                 const float* b, int64_t sb, float* c, const float* bias, int act);
void clear_cache();

// Average pooling over NHWC windows (padding excluded from the divisor, as tfjs/TF).
void avg_pool(int64_t nb, int64_t h, int64_t w, int64_t c, int64_t oh, int64_t ow, int64_t fh, int64_t fw,
              int64_t sh, int64_t sw, int64_t top, int64_t left, const float* x, float* out);
// NHWC <-> nChw16c (c a multiple of 16) for n images of hw pixels.
void to_blocked16(int64_t n, int64_t hw, int64_t c, const float* src, float* dst);
void from_blocked16(int64_t n, int64_t hw, int64_t c, const float* src, float* dst);
// Training batch norm (as bn_stats / bn_apply / bn_apply_bwd) on nChw16c data of n x hw x c.
void bn_stats_b16(int64_t n, int64_t hw, int64_t c, const float* x, float* mean, float* var);
void bn_apply_b16(int64_t n, int64_t hw, int64_t c, const float* x, const float* mean, const float* var,
                  const float* gamma, const float* beta, float eps, const float* res, bool relu, float* y);
void bn_apply_bwd_b16(int64_t n, int64_t hw, int64_t c, const float* x, const float* dy, const float* mean,
                      const float* var, const float* gamma, const float* beta, float eps, bool relu, float* dx,
                      float* dgamma, float* dbeta);

// Element-wise. Ops are small integers shared with src/engine/native/ops.ts.
enum BinOp { B_ADD = 0, B_SUB, B_MUL, B_DIV, B_MAX, B_MIN, B_SQDIFF, B_POW, B_RELU_GRAD, B_STEP_MUL, B_TWICE_MUL };
enum UnOp { U_RELU = 0, U_STEP, U_SQRT, U_RSQRT, U_SQUARE, U_EXP, U_LOG, U_NEG, U_ABS, U_SIGMOID, U_TANH,
            U_RECIP, U_RELU6, U_COPY, U_ELU, U_SIGN, U_LEAKY };
enum RedOp { R_SUM = 0, R_MEAN, R_MAX, R_MIN };

// out[i] = a[ia] op b[ib] over an output of rank <= 6 with element strides for a and b (0 = broadcast).
void binary(int op, int rank, const int64_t* shape, const float* a, const int64_t* as, const float* b,
            const int64_t* bs, float* out);
void unary(int op, int64_t n, const float* x, float* out, float alpha);
// x viewed as [outer, r, inner], reduced over r into out [outer, inner].
void reduce(int op, int64_t outer, int64_t r, int64_t inner, const float* x, float* out);
// y = (x - mean) * scale / sqrt(var + eps) + offset, per channel (last dim, size c); params may be size 1.
void batchnorm(int64_t n, int64_t c, const float* x, const float* mean, int64_t smean, const float* var,
               int64_t svar, const float* offset, int64_t soff, const float* scale, int64_t sscale, float eps,
               float* y);
void softmax(int64_t rows, int64_t cols, const float* x, float* y, bool log);
void transpose(int rank, const int64_t* shape, const int64_t* perm, const float* x, float* y);
// dst[dOff + sum idx*dStr] = src[sOff + sum idx*sStr] over `shape` (rank <= 16): slices, strided slices,
// pads (into a pre-filled dst), tiles (rank doubled), transposes.
void strided_copy(int rank, const int64_t* shape, const float* src, const int64_t* sstr, int64_t soff, float* dst,
                  const int64_t* dstr, int64_t doff);
void fill(int64_t n, float v, float* out);
// Per-channel batch-norm backward (per channel c over rows r): dx = dy*scale*inv, s1 = sum(dy),
// s2 = sum((x-mean)*dy), with inv = 1/sqrt(var+eps). Params may be size 1 (stride 0).
void bn_grad(int64_t rows, int64_t c, const float* x, const float* dy, const float* mean, int64_t smean,
             const float* var, int64_t svar, const float* scale, int64_t sscale, float eps, float* dx, float* s1,
             float* s2);
// Training batch norm over rows x c (channel last), biased variance. Forward: mean/var per channel, then
// y = (x-mean)/sqrt(var+eps)*gamma + beta. Backward: dx, dgamma, dbeta through the batch statistics.
void bn_stats(int64_t rows, int64_t c, const float* x, float* mean, float* var);
// s1/s2[j] = the sum over threads of their per-channel double partials (p1/p2: nt x c), in thread order.
void sum_thread_partials(int nt, int64_t c, const std::vector<double>& p1, const std::vector<double>& p2,
                         std::vector<double>& s1, std::vector<double>& s2);
// mean/var (biased) from per-channel double sums of (x - shift) and (x - shift)^2 over `rows` values.
void stats_from_sums(int64_t c, double rows, const float* shift, const std::vector<double>& s1,
                     const std::vector<double>& s2, float* mean, float* var);
void bn_apply(int64_t rows, int64_t c, const float* x, const float* mean, const float* var, const float* gamma,
              const float* beta, float eps, const float* res, bool relu, float* y);
void bn_apply_bwd(int64_t rows, int64_t c, const float* x, const float* dy, const float* mean, const float* var,
                  const float* gamma, const float* beta, float eps, bool relu, float* dx, float* dgamma,
                  float* dbeta);
// out = x > 0 ? a + b : 0 (ReLU gradient of a gradient sum, without writing the sum).
void relu_grad_add(int64_t n, const float* a, const float* b, const float* x, float* out);
// out = v + c * g, rounded as two float32 operations (no FMA), like tfjs's SGD (Mul, then Add).
void sgd_update(int64_t n, const float* v, const float* g, float c, float* out);
// Sum of a and all extra arrays (AddN).
void addn(int64_t n, int count, const float* const* xs, float* out);
}  // namespace whittle
