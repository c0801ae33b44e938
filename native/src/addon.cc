// Node-API entry points. init() dlopens libdnnl.so.2 (the addon is not linked against it; its dnnl_*
// symbols bind lazily) and must succeed before any other call: the JS loader enforces that.
#include <dlfcn.h>
#include <napi.h>
#include <omp.h>

#include <string>
#include <vector>

#include "kernels.h"

using namespace whittle;

static bool g_ready = false;

static Napi::Value fail(const Napi::Env& env, const std::string& msg) {
  Napi::Error::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

#define REQUIRE_READY()                                                     \
  if (!g_ready) return fail(info.Env(), "whittle native: init() not called"); \
  Napi::Env env = info.Env();

static float* f32(const Napi::Value& v) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  return v.As<Napi::Float32Array>().Data();
}
static int64_t i64(const Napi::Value& v) { return (int64_t)v.As<Napi::Number>().Int64Value(); }

static bool dims_of(const Napi::Value& v, ConvDims& d) {
  auto a = v.As<Napi::Int32Array>();
  if (a.ElementLength() != 17) return false;
  const int32_t* p = a.Data();
  d = ConvDims{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15], p[16]};
  return true;
}

// init(libPath, threads) -> { version, threads }
static Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "libdnnl.so.2";
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    const char* e = dlerror();
    return fail(env, std::string("cannot load ") + path + ": " + (e ? e : "unknown dlopen error"));
  }
  if (!dlsym(h, "dnnl_sgemm") || !dlsym(h, "dnnl_convolution_forward_desc_init")) {
    return fail(env, path + " lacks the oneDNN 2.x C API (dnnl_convolution_forward_desc_init); oneDNN 3.x is not supported yet");
  }
  typedef const void* (*version_fn)();
  auto ver = (const int*)((version_fn)dlsym(h, "dnnl_version"))();
  int threads = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  if (threads > 0) omp_set_num_threads(threads);
  g_ready = true;
  auto out = Napi::Object::New(env);
  out.Set("version", std::to_string(ver[0]) + "." + std::to_string(ver[1]) + "." + std::to_string(ver[2]));
  out.Set("threads", omp_get_max_threads());
  out.Set("path", path);
  return out;
}

static Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int n = info[0].As<Napi::Number>().Int32Value();
  if (n > 0) omp_set_num_threads(n);
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

static Napi::Value Check(const Napi::Env& env, const std::string& err) {
  if (!err.empty()) return fail(env, err);
  return env.Undefined();
}

// Length of an optional Float32Array argument (-1 when null/undefined/absent).
static int64_t opt_len(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return -1;
  return (int64_t)info[i].As<Napi::Float32Array>().ElementLength();
}
static float* opt_f32(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i ? f32(info[i]) : nullptr; }

// conv2d(x|null, w, bias|null, y|null, dims, relu, xb?|null, xbGiven?, yb?|null, stats?|null, wPrep?|null,
// wPrepFilled?) -> 1 if the Winograd path ran (blocked buffers, nChw16c: xb filled from x or given, yb the
// blocked output instead of y), 2 if stats ([mean | variance] of y per channel, 2 * o floats) were filled,
// else 0. wPrep: conv2dWeightsSize() floats holding (or to receive) w in the primitive's layout.
static Napi::Value Conv2d(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  ConvDims d;
  if (!dims_of(info[4], d)) return fail(env, "conv2d: bad dims");
  BlockedIO io;
  io.x = opt_f32(info, 6);
  io.x_given = info.Length() > 7 && info[7].ToBoolean();
  io.y = opt_f32(info, 8);
  int64_t lx = opt_len(info, 6), ly = opt_len(info, 8);
  if ((lx >= 0 && lx != d.n * d.h * d.w * d.c) || (ly >= 0 && ly != d.n * d.oh * d.ow * d.o)) {
    return fail(env, "conv2d: blocked buffer has the wrong size");
  }
  if ((!io.x_given && !f32(info[0])) || (!io.y && !f32(info[3]))) return fail(env, "conv2d: missing x or y");
  int64_t ls = opt_len(info, 9);
  if (ls >= 0 && ls != 2 * d.o) return fail(env, "conv2d: stats must hold 2 x outChannels floats");
  int64_t lw = opt_len(info, 10);
  if (lw >= 0) {
    if (lw != conv_weights_floats(d, f32(info[2]) != nullptr, info[5].ToBoolean())) {
      return fail(env, "conv2d: prepared weights have the wrong size (see conv2dWeightsSize)");
    }
    io.w_prep = opt_f32(info, 10);
    io.w_prep_filled = info.Length() > 11 && info[11].ToBoolean();
  }
  bool wino = false, stats_done = false;
  std::string err = conv_fwd(d, f32(info[0]), f32(info[1]), f32(info[2]), f32(info[3]), info[5].ToBoolean(), io, &wino,
                             opt_f32(info, 9), &stats_done);
  if (!err.empty()) return fail(env, err);
  return Napi::Number::New(env, wino ? 1 : stats_done ? 2 : 0);
}
// conv2dWeightsSize(dims, bias, relu) -> floats of a prepared weights copy for conv2d, 0 if it would not be used
static Napi::Value Conv2dWeightsSize(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  ConvDims d;
  if (!dims_of(info[0], d)) return fail(env, "conv2dWeightsSize: bad dims");
  return Napi::Number::New(env, (double)conv_weights_floats(d, info[1].ToBoolean(), info[2].ToBoolean()));
}
// conv2dBackpropInput(dy, w, dx, dims)
static Napi::Value Conv2dBwdData(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  ConvDims d;
  if (!dims_of(info[3], d)) return fail(env, "conv2dBackpropInput: bad dims");
  return Check(env, conv_bwd_data(d, f32(info[0]), f32(info[1]), f32(info[2])));
}
// conv2dBackpropFilter(x, dy, dw, dbias|null, dims)
static Napi::Value Conv2dBwdWeights(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  ConvDims d;
  if (!dims_of(info[4], d)) return fail(env, "conv2dBackpropFilter: bad dims");
  return Check(env, conv_bwd_weights(d, f32(info[0]), f32(info[1]), f32(info[2]), f32(info[3])));
}
// conv2dBackward(x|null, dy|null, w, dx|null, dw, dims, xb?|null, dyb?|null, dxb?|null) -> true if both
// passes ran (Winograd geometries; nothing is written otherwise). xb: x's blocked copy a forward pass
// kept; dyb: dy blocked; dxb: where dx goes blocked (dx is then not written).
static Napi::Value Conv2dBwdBoth(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  ConvDims d;
  if (!dims_of(info[5], d)) return fail(env, "conv2dBackward: bad dims");
  BlockedIO io;
  io.x = opt_f32(info, 6);
  io.x_given = io.x != nullptr;
  io.dy = opt_f32(info, 7);
  io.dx = opt_f32(info, 8);
  int64_t nx = d.n * d.h * d.w * d.c, ny = d.n * d.oh * d.ow * d.o;
  int64_t lx = opt_len(info, 6), ldy = opt_len(info, 7), ldx = opt_len(info, 8);
  if ((lx >= 0 && lx != nx) || (ldy >= 0 && ldy != ny) || (ldx >= 0 && ldx != nx)) {
    return fail(env, "conv2dBackward: blocked buffer has the wrong size");
  }
  if ((!io.x && !f32(info[0])) || (!io.dy && !f32(info[1])) || (!io.dx && !f32(info[3]))) {
    return fail(env, "conv2dBackward: missing x, dy or dx");
  }
  bool done = false;
  std::string err = conv_bwd_both(d, f32(info[0]), f32(info[1]), f32(info[2]), f32(info[3]), f32(info[4]), io, &done);
  if (!err.empty()) return fail(env, err);
  return Napi::Boolean::New(env, done);
}
// Blocked (nChw16c) arguments: n, hw, c after the data; every array n*hw*c long, c a multiple of 16.
static bool b16_dims(const Napi::CallbackInfo& info, size_t at, int64_t& n, int64_t& hw, int64_t& c) {
  n = i64(info[at]);
  hw = i64(info[at + 1]);
  c = i64(info[at + 2]);
  return n > 0 && hw > 0 && c > 0 && c % 16 == 0;
}
static bool all_len(const Napi::CallbackInfo& info, std::initializer_list<size_t> idx, int64_t n) {
  for (size_t i : idx) {
    int64_t l = opt_len(info, i);
    if (l >= 0 && l != n) return false;
  }
  return true;
}
// toBlocked16(src, n, hw, c, dst) / fromBlocked16(src, n, hw, c, dst)
template <bool TO_BLOCKED>
static Napi::Value CopyBlocked16(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  int64_t n, hw, c;
  if (!b16_dims(info, 1, n, hw, c) || !all_len(info, {0, 4}, n * hw * c)) {
    return fail(env, TO_BLOCKED ? "toBlocked16: bad sizes" : "fromBlocked16: bad sizes");
  }
  (TO_BLOCKED ? to_blocked16 : from_blocked16)(n, hw, c, f32(info[0]), f32(info[4]));
  return env.Undefined();
}
// bnStatsB16(x, n, hw, c, mean, var)
static Napi::Value BnStatsB16(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  int64_t n, hw, c;
  if (!b16_dims(info, 1, n, hw, c) || !all_len(info, {0}, n * hw * c) || !all_len(info, {4, 5}, c)) {
    return fail(env, "bnStatsB16: bad sizes");
  }
  bn_stats_b16(n, hw, c, f32(info[0]), f32(info[4]), f32(info[5]));
  return env.Undefined();
}
// bnApplyB16(x, n, hw, c, mean, var, gamma|null, beta|null, eps, res|null, relu, y)
static Napi::Value BnApplyB16(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  int64_t n, hw, c;
  if (!b16_dims(info, 1, n, hw, c) || !all_len(info, {0, 9, 11}, n * hw * c) || !all_len(info, {4, 5, 6, 7}, c)) {
    return fail(env, "bnApplyB16: bad sizes");
  }
  bn_apply_b16(n, hw, c, f32(info[0]), f32(info[4]), f32(info[5]), f32(info[6]), f32(info[7]),
               info[8].As<Napi::Number>().FloatValue(), f32(info[9]), info[10].ToBoolean(), f32(info[11]));
  return env.Undefined();
}
// bnApplyBwdB16(x, dy, n, hw, c, mean, var, gamma|null, beta|null, eps, relu, dx, dgamma, dbeta)
static Napi::Value BnApplyBwdB16(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  int64_t n, hw, c;
  if (!b16_dims(info, 2, n, hw, c) || !all_len(info, {0, 1, 11}, n * hw * c) || !all_len(info, {5, 6, 7, 8, 12, 13}, c)) {
    return fail(env, "bnApplyBwdB16: bad sizes");
  }
  bn_apply_bwd_b16(n, hw, c, f32(info[0]), f32(info[1]), f32(info[5]), f32(info[6]), f32(info[7]), f32(info[8]),
                   info[9].As<Napi::Number>().FloatValue(), info[10].ToBoolean(), f32(info[11]), f32(info[12]),
                   f32(info[13]));
  return env.Undefined();
}
// gemm(ta, tb, batch, m, n, k, a, sa, b, sb, c, bias|null, act)
static Napi::Value Gemm(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  return Check(env, gemm(info[0].ToBoolean(), info[1].ToBoolean(), i64(info[2]), i64(info[3]), i64(info[4]),
                         i64(info[5]), f32(info[6]), i64(info[7]), f32(info[8]), i64(info[9]), f32(info[10]),
                         f32(info[11]), info[12].As<Napi::Number>().Int32Value()));
}

static std::vector<int64_t> dims64(const Napi::Value& v) {
  auto a = v.As<Napi::Int32Array>();
  return std::vector<int64_t>(a.Data(), a.Data() + a.ElementLength());
}

// avgPool(x, dims[nb,h,w,c,oh,ow,fh,fw,sh,sw,top,left], out)
static Napi::Value AvgPool(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto d = dims64(info[1]);
  if (d.size() != 12) return fail(env, "avgPool: bad dims");
  int64_t nx = d[0] * d[1] * d[2] * d[3], ny = d[0] * d[4] * d[5] * d[3];
  if (opt_len(info, 0) != nx || opt_len(info, 2) != ny) return fail(env, "avgPool: bad sizes");
  avg_pool(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], f32(info[0]), f32(info[2]));
  return env.Undefined();
}
// binary(op, shape, a, aStrides, b, bStrides, out)
static Napi::Value Binary(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto shape = dims64(info[1]), as = dims64(info[3]), bs = dims64(info[5]);
  if (shape.empty() || shape.size() != as.size() || shape.size() != bs.size() || shape.size() > 8)
    return fail(env, "binary: bad shape");
  binary(info[0].As<Napi::Number>().Int32Value(), (int)shape.size(), shape.data(), f32(info[2]), as.data(),
         f32(info[4]), bs.data(), f32(info[6]));
  return env.Undefined();
}
// unary(op, x, out, alpha)
static Napi::Value Unary(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto x = info[1].As<Napi::Float32Array>();
  unary(info[0].As<Napi::Number>().Int32Value(), (int64_t)x.ElementLength(), x.Data(), f32(info[2]),
        info[3].As<Napi::Number>().FloatValue());
  return env.Undefined();
}
// reduce(op, outer, r, inner, x, out)
static Napi::Value Reduce(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  reduce(info[0].As<Napi::Number>().Int32Value(), i64(info[1]), i64(info[2]), i64(info[3]), f32(info[4]),
         f32(info[5]));
  return env.Undefined();
}
static int64_t stride1(const Napi::Value& v) {
  if (v.IsNull() || v.IsUndefined()) return 0;
  return v.As<Napi::Float32Array>().ElementLength() == 1 ? 0 : 1;
}
// batchNorm(x, mean, var, offset|null, scale|null, eps, c, y)
static Napi::Value BatchNorm(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto x = info[0].As<Napi::Float32Array>();
  batchnorm((int64_t)x.ElementLength(), i64(info[6]), x.Data(), f32(info[1]), stride1(info[1]), f32(info[2]),
            stride1(info[2]), f32(info[3]), stride1(info[3]), f32(info[4]), stride1(info[4]),
            info[5].As<Napi::Number>().FloatValue(), f32(info[7]));
  return env.Undefined();
}
// softmax(rows, cols, x, y, log)
static Napi::Value Softmax(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  softmax(i64(info[0]), i64(info[1]), f32(info[2]), f32(info[3]), info[4].ToBoolean());
  return env.Undefined();
}
// transpose(shape, perm, x, y)
static Napi::Value Transpose(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto shape = dims64(info[0]), perm = dims64(info[1]);
  if (shape.empty() || shape.size() != perm.size() || shape.size() > 8) return fail(env, "transpose: bad shape");
  transpose((int)shape.size(), shape.data(), perm.data(), f32(info[2]), f32(info[3]));
  return env.Undefined();
}
// addN([xs], out)
static Napi::Value AddN(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto arr = info[0].As<Napi::Array>();
  std::vector<const float*> xs(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) xs[i] = arr.Get(i).As<Napi::Float32Array>().Data();
  auto out = info[1].As<Napi::Float32Array>();
  addn((int64_t)out.ElementLength(), (int)xs.size(), xs.data(), out.Data());
  return env.Undefined();
}
// stridedCopy(shape, src, srcStrides, srcOffset, dst, dstStrides, dstOffset)
static Napi::Value StridedCopy(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto shape = dims64(info[0]), ss = dims64(info[2]), ds = dims64(info[5]);
  if (shape.empty() || shape.size() != ss.size() || shape.size() != ds.size() || shape.size() > 16)
    return fail(env, "stridedCopy: bad shape");
  strided_copy((int)shape.size(), shape.data(), f32(info[1]), ss.data(), i64(info[3]), f32(info[4]), ds.data(),
               i64(info[6]));
  return env.Undefined();
}
// fill(out, value)
static Napi::Value Fill(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto out = info[0].As<Napi::Float32Array>();
  fill((int64_t)out.ElementLength(), info[1].As<Napi::Number>().FloatValue(), out.Data());
  return env.Undefined();
}
// batchNormGrad(x, dy, mean, variance, scale|null, eps, c, dx, s1, s2)
static Napi::Value BatchNormGrad(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto x = info[0].As<Napi::Float32Array>();
  int64_t c = i64(info[6]);
  bn_grad((int64_t)x.ElementLength() / c, c, x.Data(), f32(info[1]), f32(info[2]), stride1(info[2]), f32(info[3]),
          stride1(info[3]), f32(info[4]), stride1(info[4]), info[5].As<Napi::Number>().FloatValue(), f32(info[7]),
          f32(info[8]), f32(info[9]));
  return env.Undefined();
}
// bnStats(x, c, mean, var)
static Napi::Value BnStats(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto x = info[0].As<Napi::Float32Array>();
  int64_t c = i64(info[1]);
  bn_stats((int64_t)x.ElementLength() / c, c, x.Data(), f32(info[2]), f32(info[3]));
  return env.Undefined();
}
// bnApply(x, mean, var, gamma|null, beta|null, eps, c, residual|null, relu, y)
static Napi::Value BnApply(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto x = info[0].As<Napi::Float32Array>();
  int64_t c = i64(info[6]);
  bn_apply((int64_t)x.ElementLength() / c, c, x.Data(), f32(info[1]), f32(info[2]), f32(info[3]), f32(info[4]),
           info[5].As<Napi::Number>().FloatValue(), f32(info[7]), info[8].ToBoolean(), f32(info[9]));
  return env.Undefined();
}
// bnApplyBackward(x, dy, mean, var, gamma|null, beta|null, eps, c, relu, dx, dgamma, dbeta)
static Napi::Value BnApplyBackward(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto x = info[0].As<Napi::Float32Array>();
  int64_t c = i64(info[7]);
  bn_apply_bwd((int64_t)x.ElementLength() / c, c, x.Data(), f32(info[1]), f32(info[2]), f32(info[3]), f32(info[4]),
               f32(info[5]), info[6].As<Napi::Number>().FloatValue(), info[8].ToBoolean(), f32(info[9]),
               f32(info[10]), f32(info[11]));
  return env.Undefined();
}
// reluGradAdd(a, b, x, out): out = x > 0 ? a + b : 0
static Napi::Value ReluGradAdd(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto x = info[2].As<Napi::Float32Array>();
  relu_grad_add((int64_t)x.ElementLength(), f32(info[0]), f32(info[1]), x.Data(), f32(info[3]));
  return env.Undefined();
}
// sgdUpdate(v, g, c, out): out = v + c * g
static Napi::Value SgdUpdate(const Napi::CallbackInfo& info) {
  REQUIRE_READY();
  auto v = info[0].As<Napi::Float32Array>();
  sgd_update((int64_t)v.ElementLength(), v.Data(), f32(info[1]), info[2].As<Napi::Number>().FloatValue(), f32(info[3]));
  return env.Undefined();
}
static Napi::Value ClearCache(const Napi::CallbackInfo& info) {
  if (g_ready) clear_cache();
  return info.Env().Undefined();
}

static Napi::Object Register(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("conv2d", Napi::Function::New(env, Conv2d));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Conv2dBwdData));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Conv2dBwdWeights));
  exports.Set("conv2dBackward", Napi::Function::New(env, Conv2dBwdBoth));
  exports.Set("toBlocked16", Napi::Function::New(env, CopyBlocked16<true>));
  exports.Set("avgPool", Napi::Function::New(env, AvgPool));
  exports.Set("fromBlocked16", Napi::Function::New(env, CopyBlocked16<false>));
  exports.Set("bnStatsB16", Napi::Function::New(env, BnStatsB16));
  exports.Set("bnApplyB16", Napi::Function::New(env, BnApplyB16));
  exports.Set("bnApplyBwdB16", Napi::Function::New(env, BnApplyBwdB16));
  exports.Set("conv2dWeightsSize", Napi::Function::New(env, Conv2dWeightsSize));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("batchNorm", Napi::Function::New(env, BatchNorm));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("addN", Napi::Function::New(env, AddN));
  exports.Set("stridedCopy", Napi::Function::New(env, StridedCopy));
  exports.Set("fill", Napi::Function::New(env, Fill));
  exports.Set("batchNormGrad", Napi::Function::New(env, BatchNormGrad));
  exports.Set("bnStats", Napi::Function::New(env, BnStats));
  exports.Set("bnApply", Napi::Function::New(env, BnApply));
  exports.Set("bnApplyBackward", Napi::Function::New(env, BnApplyBackward));
  exports.Set("reluGradAdd", Napi::Function::New(env, ReluGradAdd));
  exports.Set("sgdUpdate", Napi::Function::New(env, SgdUpdate));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache));
  return exports;
}

NODE_API_MODULE(whittle_native, Register)
