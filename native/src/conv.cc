// oneDNN convolutions (forward with fused bias/ReLU, backward data, backward weights + bias) and sgemm.
// Plans are cached per shape. Activations stay NHWC (no reorders); HWIO weights are reordered to the
// layout each primitive prefers (tiny). The library is dlopen'ed by addon.cc before any call here.
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "kernels.h"

namespace whittle {
using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

static engine& eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
static stream& strm() {
  static stream s(eng());
  return s;
}

struct ConvPlan {
  memory::dims strides, dil, pl, pr;
  memory::desc x_md, y_md, w_user_md, b_md;
  // forward (with and without bias, with and without relu): index [bias][relu]
  std::unique_ptr<convolution_forward::primitive_desc> fwd_pd[2][2];
  std::unique_ptr<convolution_forward> fwd[2][2];
  std::unique_ptr<memory> fwd_w[2][2];
  std::unique_ptr<convolution_backward_data::primitive_desc> bwd_d_pd;
  std::unique_ptr<convolution_backward_data> bwd_d;
  std::unique_ptr<memory> bwd_d_w;
  std::unique_ptr<convolution_backward_weights::primitive_desc> bwd_w_pd[2];
  std::unique_ptr<convolution_backward_weights> bwd_w[2];
  std::unique_ptr<memory> bwd_w_dw[2];
};

using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                       int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t>;
static std::map<Key, std::unique_ptr<ConvPlan>> g_plans;

static Key key_of(const ConvDims& d) {
  return Key{d.n, d.h, d.w, d.c, d.kh, d.kw, d.o, d.oh, d.ow, d.sh, d.sw, d.pt, d.pl, d.pb, d.pr, d.dh, d.dw};
}

static ConvPlan& plan_for(const ConvDims& d) {
  auto k = key_of(d);
  auto it = g_plans.find(k);
  if (it != g_plans.end()) return *it->second;
  auto p = std::make_unique<ConvPlan>();
  p->strides = {d.sh, d.sw};
  p->dil = {d.dh - 1, d.dw - 1};
  p->pl = {d.pt, d.pl};
  p->pr = {d.pb, d.pr};
  p->x_md = memory::desc({d.n, d.c, d.h, d.w}, dt::f32, tag::nhwc);
  p->y_md = memory::desc({d.n, d.o, d.oh, d.ow}, dt::f32, tag::nhwc);
  p->w_user_md = memory::desc({d.o, d.c, d.kh, d.kw}, dt::f32, tag::hwio);
  p->b_md = memory::desc({d.o}, dt::f32, tag::x);
  auto& ref = *p;
  g_plans.emplace(k, std::move(p));
  return ref;
}

static memory::desc any_w(const ConvDims& d) { return memory::desc({d.o, d.c, d.kh, d.kw}, dt::f32, tag::any); }

static convolution_forward::primitive_desc& fwd_pd(ConvPlan& p, const ConvDims& d, bool bias, bool relu) {
  auto& slot = p.fwd_pd[bias][relu];
  if (!slot) {
    auto desc = bias ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, p.x_md,
                                                 any_w(d), p.b_md, p.y_md, p.strides, p.dil, p.pl, p.pr)
                     : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, p.x_md,
                                                 any_w(d), p.y_md, p.strides, p.dil, p.pl, p.pr);
    primitive_attr attr;
    if (relu) {
      post_ops po;
      po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
      attr.set_post_ops(po);
    }
    slot = std::make_unique<convolution_forward::primitive_desc>(desc, attr, eng());
  }
  return *slot;
}

// A reorder of a small tensor (weights) on the calling thread only: waking the sleeping OpenMP worker
// (passive waiting) cost more than the copy (64x64x3x3: ~20 us on 2 threads, ~7 us on one).
static void reorder_small(memory& src, memory& dst) {
  int nt = omp_get_max_threads();
  omp_set_num_threads(1);
  reorder(src, dst).execute(strm(), src, dst);
  omp_set_num_threads(nt);
}

// Copies user HWIO weights into `dst` (layout of `md`), reusing a cached buffer.
static memory& weights_in(std::unique_ptr<memory>& cache, const memory::desc& md, const memory::desc& user_md,
                          const float* w) {
  memory user(user_md, eng(), const_cast<float*>(w));
  if (md == user_md) {
    if (!cache) cache = std::make_unique<memory>(md, eng(), nullptr);
    cache->set_data_handle(const_cast<float*>(w));
    return *cache;
  }
  if (!cache) cache = std::make_unique<memory>(md, eng());
  reorder_small(user, *cache);
  return *cache;
}


// Winograd F(4x4, 3x3) for 3x3 / stride 1 / pad 1 convs with 32+ channels in and out (multiples of 16),
// no ReLU (forward may add a bias): ResNet-56 stages 2-3, the vanilla net's 32-channel layers. oneDNN runs it only on blocked layouts, so
// activations are reordered NHWC <-> blocked around each pass (~5% of the pass); the passes themselves
// ran 35-40% faster than direct NHWC at 32/64 channels on 2 AVX-512 threads. WHITTLE_WINOGRAD=0 disables.
struct WinoPlan {
  std::unique_ptr<convolution_forward::primitive_desc> fwd_pd;
  std::unique_ptr<convolution_forward> fwd;
  std::unique_ptr<convolution_backward_data::primitive_desc> bwd_d_pd;
  std::unique_ptr<convolution_backward_data> bwd_d;
  std::unique_ptr<convolution_backward_weights::primitive_desc> bwd_w_pd;
  std::unique_ptr<convolution_backward_weights> bwd_w;
  std::unique_ptr<convolution_forward::primitive_desc> fwd_b_pd;  // with bias (created on first use)
  std::unique_ptr<convolution_forward> fwd_b;
  bool bias_failed = false;
  std::unique_ptr<memory> w_fwd, w_fwd_b, w_bwd, dw;  // weights in the primitives' layouts
  std::unique_ptr<memory> a, b;              // blocked activations (src/dst), reused by all passes
  bool ok = false;
};
static std::map<Key, std::unique_ptr<WinoPlan>> g_wino;

static bool wino_enabled() {
  static int v = -1;
  if (v < 0) {
    const char* e = std::getenv("WHITTLE_WINOGRAD");
    v = (e && std::string(e) == "0") ? 0 : 1;
  }
  return v == 1;
}

static bool wino_shape(const ConvDims& d) {
  return wino_enabled() && d.kh == 3 && d.kw == 3 && d.sh == 1 && d.sw == 1 && d.dh == 1 && d.dw == 1 && d.pt == 1 &&
         d.pl == 1 && d.pb == 1 && d.pr == 1 && d.c >= 32 && d.o >= 32 && d.c % 16 == 0 && d.o % 16 == 0 &&
         d.oh == d.h && d.ow == d.w;
}

// The plan for a Winograd-eligible shape, or nullptr (not eligible, or oneDNN has no Winograd for it).
static WinoPlan* wino_for(const ConvDims& d) {
  if (!wino_shape(d)) return nullptr;
  auto k = key_of(d);
  auto it = g_wino.find(k);
  if (it != g_wino.end()) return it->second->ok ? it->second.get() : nullptr;
  auto w = std::make_unique<WinoPlan>();
  try {
    memory::dims xd{d.n, d.c, d.h, d.w}, yd{d.n, d.o, d.oh, d.ow}, wd{d.o, d.c, 3, 3}, st{1, 1}, dl{0, 0}, pd{1, 1};
    memory::desc xa(xd, dt::f32, tag::any), ya(yd, dt::f32, tag::any), wa(wd, dt::f32, tag::any);
    convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_winograd, xa, wa, ya, st, dl, pd, pd);
    w->fwd_pd = std::make_unique<convolution_forward::primitive_desc>(fd, eng());
    convolution_backward_data::desc bd(algorithm::convolution_winograd, xa, wa, ya, st, dl, pd, pd);
    w->bwd_d_pd = std::make_unique<convolution_backward_data::primitive_desc>(bd, eng(), *w->fwd_pd);
    convolution_backward_weights::desc bw(algorithm::convolution_winograd, xa, wa, ya, st, dl, pd, pd);
    w->bwd_w_pd = std::make_unique<convolution_backward_weights::primitive_desc>(bw, eng(), *w->fwd_pd);
    // One pair of blocked buffers serves every pass: all passes must agree on the blocked layouts.
    bool same = w->fwd_pd->src_desc() == w->bwd_d_pd->diff_src_desc() && w->fwd_pd->src_desc() == w->bwd_w_pd->src_desc() &&
                w->fwd_pd->dst_desc() == w->bwd_d_pd->diff_dst_desc() && w->fwd_pd->dst_desc() == w->bwd_w_pd->diff_dst_desc();
    if (same) {
      w->fwd = std::make_unique<convolution_forward>(*w->fwd_pd);
      w->bwd_d = std::make_unique<convolution_backward_data>(*w->bwd_d_pd);
      w->bwd_w = std::make_unique<convolution_backward_weights>(*w->bwd_w_pd);
      w->a = std::make_unique<memory>(w->fwd_pd->src_desc(), eng());
      w->b = std::make_unique<memory>(w->fwd_pd->dst_desc(), eng());
      w->ok = true;
    }
  } catch (dnnl::error&) {
    w->ok = false;
  }
  auto* r = w->ok ? w.get() : nullptr;
  g_wino.emplace(k, std::move(w));
  return r;
}

// Blocked operands passed in or out (BlockedIO) are always nChw16c without padding: a Winograd plan whose
// activations are laid out otherwise does not take them.
static bool plain_blocked16(const memory::desc& md) {
  const auto& dims = md.dims();
  return dims.size() == 4 && dims[1] % 16 == 0 && md == memory::desc(dims, dt::f32, tag::nChw16c);
}

static void reorder_in(const memory::desc& user_md, const float* src, memory& dst) {
  memory u(user_md, eng(), const_cast<float*>(src));
  reorder(u, dst).execute(strm(), u, dst);
}
static void reorder_out(memory& src, const memory::desc& user_md, float* dst) {
  memory u(user_md, eng(), dst);
  reorder(src, u).execute(strm(), src, u);
}

// The Winograd backward passes on operands already in the plan's blocked layout; dw (HWIO) written.
static void wino_bwd_weights(WinoPlan& w, const ConvPlan& p, memory& src, memory& ddst, float* dw) {
  if (!w.dw) w.dw = std::make_unique<memory>(w.bwd_w_pd->diff_weights_desc(), eng());
  w.bwd_w->execute(strm(), {{DNNL_ARG_SRC, src}, {DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_DIFF_WEIGHTS, *w.dw}});
  memory user(p.w_user_md, eng(), dw);
  reorder_small(*w.dw, user);
}
static void wino_bwd_data(WinoPlan& w, const ConvPlan& p, memory& ddst, const float* wt, memory& dsrc) {
  memory& wm = weights_in(w.w_bwd, w.bwd_d_pd->weights_desc(), p.w_user_md, wt);
  w.bwd_d->execute(strm(), {{DNNL_ARG_DIFF_DST, ddst}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, dsrc}});
}

template <typename F>
static std::string guard(F&& f) {
  try {
    f();
    strm().wait();
    return "";
  } catch (dnnl::error& e) {
    return std::string("oneDNN: ") + e.what();
  } catch (std::exception& e) {
    return e.what();
  }
}

std::string conv_fwd(const ConvDims& d, const float* x, const float* wt, const float* bias, float* y, bool relu,
                     const BlockedIO& io, bool* wino, float* stats, bool* stats_done) {
  *wino = false;
  if (stats_done) *stats_done = false;
  return guard([&] {
    auto& p = plan_for(d);
    bool hb = bias != nullptr;
    WinoPlan* w = relu ? nullptr : wino_for(d);
    if (w && hb && !w->fwd_b && !w->bias_failed) {
      try {
        memory::desc xa(w->fwd_pd->src_desc()), ya(w->fwd_pd->dst_desc()), wa(w->fwd_pd->weights_desc());
        convolution_forward::desc fd(prop_kind::forward_training, algorithm::convolution_winograd, xa, wa, p.b_md, ya,
                                     p.strides, p.dil, p.pl, p.pr);
        w->fwd_b_pd = std::make_unique<convolution_forward::primitive_desc>(fd, eng());
        w->fwd_b = std::make_unique<convolution_forward>(*w->fwd_b_pd);
      } catch (dnnl::error&) {
        w->bias_failed = true;
      }
    }
    bool use_wino = w && (!hb || w->fwd_b) && plain_blocked16(w->a->get_desc()) && plain_blocked16(w->b->get_desc());
    if (!use_wino && (io.x_given || io.y)) throw std::runtime_error("conv2d: blocked operands for a non-Winograd geometry");
    if (use_wino) {
      auto& wpd = hb ? *w->fwd_b_pd : *w->fwd_pd;
      memory& wm = weights_in(hb ? w->w_fwd_b : w->w_fwd, wpd.weights_desc(), p.w_user_md, wt);
      // io.x: x in the blocked layout, given (x may be null) or to fill (kept by the caller for the
      // backward-weights pass); io.y: where the blocked output goes (y is then not written).
      memory src = io.x ? memory(w->a->get_desc(), eng(), io.x) : *w->a;
      if (!io.x_given) reorder_in(p.x_md, x, src);
      memory dst = io.y ? memory(w->b->get_desc(), eng(), io.y) : *w->b;
      std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, dst}};
      if (hb) args.insert({DNNL_ARG_BIAS, memory(p.b_md, eng(), const_cast<float*>(bias))});
      (hb ? *w->fwd_b : *w->fwd).execute(strm(), args);
      if (!io.y) reorder_out(*w->b, p.y_md, y);
      *wino = true;
      return;
    }
    if (direct16_shape(d)) {
      direct16_fwd(d, x, wt, bias, relu, y, stats, stats ? stats + d.o : nullptr);
      if (stats && stats_done) *stats_done = true;
      return;
    }
    auto& pd = fwd_pd(p, d, hb, relu);
    if (!p.fwd[hb][relu]) p.fwd[hb][relu] = std::make_unique<convolution_forward>(pd);
    std::unique_ptr<memory> prepared;
    if (io.w_prep && pd.weights_desc() != p.w_user_md) {
      prepared = std::make_unique<memory>(pd.weights_desc(), eng(), io.w_prep);
      if (!io.w_prep_filled) {
        memory user(p.w_user_md, eng(), const_cast<float*>(wt));
        reorder_small(user, *prepared);
      }
    }
    memory& wm = prepared ? *prepared : weights_in(p.fwd_w[hb][relu], pd.weights_desc(), p.w_user_md, wt);
    memory xm(p.x_md, eng(), const_cast<float*>(x)), ym(p.y_md, eng(), y);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}};
    if (hb) args.insert({DNNL_ARG_BIAS, memory(p.b_md, eng(), const_cast<float*>(bias))});
    p.fwd[hb][relu]->execute(strm(), args);
  });
}

int64_t conv_weights_floats(const ConvDims& d, bool bias, bool relu) {
  try {
    WinoPlan* w = relu ? nullptr : wino_for(d);
    if (w || direct16_shape(d)) return 0;  // (a Winograd plan that cannot run falls back here too: no copy)
    auto& p = plan_for(d);
    auto& pd = fwd_pd(p, d, bias, relu);
    return pd.weights_desc() == p.w_user_md ? 0 : (int64_t)(pd.weights_desc().get_size() / sizeof(float));
  } catch (dnnl::error&) {
    return 0;
  }
}

std::string conv_bwd_data(const ConvDims& d, const float* dy, const float* wt, float* dx) {
  return guard([&] {
    auto& p = plan_for(d);
    if (WinoPlan* w = wino_for(d)) {
      reorder_in(p.y_md, dy, *w->b);
      wino_bwd_data(*w, p, *w->b, wt, *w->a);
      reorder_out(*w->a, p.x_md, dx);
      return;
    }
    if (direct16_shape(d)) return direct16_bwd_data(d, dy, wt, dx);
    if (!p.bwd_d) {
      auto& hint = fwd_pd(p, d, false, false);
      convolution_backward_data::desc desc(algorithm::convolution_direct, p.x_md, any_w(d), p.y_md, p.strides, p.dil,
                                           p.pl, p.pr);
      p.bwd_d_pd = std::make_unique<convolution_backward_data::primitive_desc>(desc, eng(), hint);
      p.bwd_d = std::make_unique<convolution_backward_data>(*p.bwd_d_pd);
    }
    memory& wm = weights_in(p.bwd_d_w, p.bwd_d_pd->weights_desc(), p.w_user_md, wt);
    memory dym(p.y_md, eng(), const_cast<float*>(dy)), dxm(p.x_md, eng(), dx);
    p.bwd_d->execute(strm(), {{DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, dxm}});
  });
}

std::string conv_bwd_weights(const ConvDims& d, const float* x, const float* dy, float* dw, float* dbias) {
  return guard([&] {
    auto& p = plan_for(d);
    bool hb = dbias != nullptr;
    if (!hb) {
      if (WinoPlan* w = wino_for(d)) {
        reorder_in(p.x_md, x, *w->a);
        reorder_in(p.y_md, dy, *w->b);
        wino_bwd_weights(*w, p, *w->a, *w->b, dw);
        return;
      }
    }
    if (!p.bwd_w[hb]) {
      auto& hint = fwd_pd(p, d, hb, false);
      auto desc = hb ? convolution_backward_weights::desc(algorithm::convolution_direct, p.x_md, any_w(d), p.b_md,
                                                          p.y_md, p.strides, p.dil, p.pl, p.pr)
                     : convolution_backward_weights::desc(algorithm::convolution_direct, p.x_md, any_w(d), p.y_md,
                                                          p.strides, p.dil, p.pl, p.pr);
      p.bwd_w_pd[hb] = std::make_unique<convolution_backward_weights::primitive_desc>(desc, eng(), hint);
      p.bwd_w[hb] = std::make_unique<convolution_backward_weights>(*p.bwd_w_pd[hb]);
    }
    auto& pd = *p.bwd_w_pd[hb];
    memory xm(p.x_md, eng(), const_cast<float*>(x)), dym(p.y_md, eng(), const_cast<float*>(dy));
    memory user(p.w_user_md, eng(), dw);
    bool direct = pd.diff_weights_desc() == p.w_user_md;
    if (!direct && !p.bwd_w_dw[hb]) p.bwd_w_dw[hb] = std::make_unique<memory>(pd.diff_weights_desc(), eng());
    memory& dwm = direct ? user : *p.bwd_w_dw[hb];
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_DIFF_WEIGHTS, dwm}};
    if (hb) args.insert({DNNL_ARG_DIFF_BIAS, memory(p.b_md, eng(), dbias)});
    p.bwd_w[hb]->execute(strm(), args);
    if (!direct) reorder_small(dwm, user);
  });
}

std::string conv_bwd_both(const ConvDims& d, const float* x, const float* dy, const float* wt, float* dx, float* dw,
                          const BlockedIO& io, bool* done) {
  *done = false;
  return guard([&] {
    auto& p = plan_for(d);
    WinoPlan* w = wino_for(d);
    bool ok = w && plain_blocked16(w->a->get_desc()) && plain_blocked16(w->b->get_desc());
    if (!ok && (io.x_given || io.dy || io.dx)) throw std::runtime_error("conv2dBackward: blocked operands for a non-Winograd geometry");
    if (!ok && direct16_shape(d)) {  // Whittle's 16-channel kernels: one pass over the images
      direct16_bwd_both(d, x, dy, wt, dx, dw);
      *done = true;
      return;
    }
    if (!ok) return;  // oneDNN's direct convs read NHWC in place: nothing to share, the caller runs both passes
    // One call for both passes: dy is reordered once (not at all when given blocked), x not at all when
    // the forward pass kept its blocked copy, and dx may stay blocked (io.dx) for the next kernel.
    memory src = io.x ? memory(w->a->get_desc(), eng(), io.x) : *w->a;
    if (!io.x_given) reorder_in(p.x_md, x, src);
    memory ddst = io.dy ? memory(w->b->get_desc(), eng(), const_cast<float*>(io.dy)) : *w->b;
    if (!io.dy) reorder_in(p.y_md, dy, ddst);
    wino_bwd_weights(*w, p, src, ddst, dw);
    memory dsrc = io.dx ? memory(w->a->get_desc(), eng(), io.dx) : *w->a;
    wino_bwd_data(*w, p, ddst, wt, dsrc);
    if (!io.dx) reorder_out(*w->a, p.x_md, dx);
    *done = true;
  });
}

static std::string gemm_one(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c,
                            const float* bias, int act) {
  float beta = 0.f;
  if (bias) {
    for (int64_t r = 0; r < m; r++) std::memcpy(c + r * n, bias, sizeof(float) * n);
    beta = 1.f;
  }
  dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, a, ta ? m : k, b, tb ? k : n, beta, c, n);
  if (st != dnnl_success) return "dnnl_sgemm failed with status " + std::to_string((int)st);
  if (act == 1) {
    int64_t t = m * n;
#pragma omp parallel for simd if (t > 65536 && !omp_in_parallel())
    for (int64_t j = 0; j < t; j++) c[j] = c[j] < 0.f ? 0.f : c[j];
  }
  return "";
}

std::string gemm(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a, int64_t sa,
                 const float* b, int64_t sb, float* c, const float* bias, int act) {
  // Many small products (attention heads: batch x heads of 50x64x50): one OpenMP region over the batch,
  // each sgemm single-threaded inside it, instead of one threaded sgemm (and one thread wake-up) per item.
  int nt = omp_get_max_threads();
  if (batch >= 2 * nt && nt > 1 && m * n * k <= (int64_t)1 << 22) {
    std::string err;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < batch; i++) {
      std::string e = gemm_one(ta, tb, m, n, k, a + i * sa, b + i * sb, c + i * m * n, bias, act);
      if (!e.empty()) {
#pragma omp critical
        err = e;
      }
    }
    return err;
  }
  for (int64_t i = 0; i < batch; i++) {
    std::string e = gemm_one(ta, tb, m, n, k, a + i * sa, b + i * sb, c + i * m * n, bias, act);
    if (!e.empty()) return e;
  }
  return "";
}

void clear_cache() {
  g_plans.clear();
  g_wino.clear();
}
}  // namespace whittle
