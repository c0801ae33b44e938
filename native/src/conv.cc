// oneDNN convolutions (forward with fused bias/ReLU, backward data, backward weights + bias) and sgemm.
// Plans are cached per shape. Activations stay NHWC (no reorders); HWIO weights are reordered to the
// layout each primitive prefers (tiny). The library is dlopen'ed by addon.cc before any call here.
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>
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
  reorder(user, *cache).execute(strm(), user, *cache);
  return *cache;
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

std::string conv_fwd(const ConvDims& d, const float* x, const float* wt, const float* bias, float* y, bool relu) {
  return guard([&] {
    auto& p = plan_for(d);
    bool hb = bias != nullptr;
    auto& pd = fwd_pd(p, d, hb, relu);
    if (!p.fwd[hb][relu]) p.fwd[hb][relu] = std::make_unique<convolution_forward>(pd);
    memory& wm = weights_in(p.fwd_w[hb][relu], pd.weights_desc(), p.w_user_md, wt);
    memory xm(p.x_md, eng(), const_cast<float*>(x)), ym(p.y_md, eng(), y);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}};
    if (hb) args.insert({DNNL_ARG_BIAS, memory(p.b_md, eng(), const_cast<float*>(bias))});
    p.fwd[hb][relu]->execute(strm(), args);
  });
}

std::string conv_bwd_data(const ConvDims& d, const float* dy, const float* wt, float* dx) {
  return guard([&] {
    auto& p = plan_for(d);
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
    if (!direct) reorder(dwm, user).execute(strm(), dwm, user);
  });
}

std::string gemm(bool ta, bool tb, int64_t batch, int64_t m, int64_t n, int64_t k, const float* a, int64_t sa,
                 const float* b, int64_t sb, float* c, const float* bias, int act) {
  for (int64_t i = 0; i < batch; i++) {
    const float* ai = a + i * sa;
    const float* bi = b + i * sb;
    float* ci = c + i * m * n;
    float beta = 0.f;
    if (bias) {
      for (int64_t r = 0; r < m; r++) std::memcpy(ci + r * n, bias, sizeof(float) * n);
      beta = 1.f;
    }
    dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.f, ai, ta ? m : k, bi, tb ? k : n, beta,
                                  ci, n);
    if (st != dnnl_success) return "dnnl_sgemm failed with status " + std::to_string((int)st);
    if (act == 1) {
      int64_t t = m * n;
#pragma omp parallel for simd if (t > 65536)
      for (int64_t j = 0; j < t; j++) ci[j] = ci[j] < 0.f ? 0.f : ci[j];
    }
  }
  return "";
}

void clear_cache() { g_plans.clear(); }
}  // namespace whittle
