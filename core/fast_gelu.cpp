#include "fast_gelu.h"

#include "vector_kernel.h"

#include <ATen/Parallel.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

namespace cfx {
namespace {

// erf(x) = x P(x^2) / Q(x^2) on |x| <= 4, a least-squares rational fit (reweighted to near
// minimax) with an absolute error of 6.2e-8 in exact arithmetic; beyond 4, erf is 1 to within
// 1.5e-8. Q's coefficients are all positive, so it never vanishes.
constexpr float kP0 = 1.1283788780953835f, kP1 = 0.21033510969430479f, kP2 = 0.05194910461151538f,
                kP3 = 0.0041328755109888403f, kP4 = 0.00015118135370037456f,
                kP5 = -1.9648726855107182e-6f, kP6 = 1.9157230493845791e-8f;
constexpr float kQ1 = 0.51973401675630988f, kQ2 = 0.1192995842621245f, kQ3 = 0.015235825639084726f,
                kQ4 = 0.0010573901741236734f;
constexpr float kErfLimit = 4.0f, kErfLimitSquared = kErfLimit * kErfLimit;
constexpr float kInverseSqrt2 = 0.70710678118654752f;

// erf(u) for u = x / sqrt(2), given u^2. Every value is computed for every lane and then
// selected, with no condition inside another: where a comparison or the division depended on
// one, the compiler could not vectorise the loops for AVX2 (no masked operations there), and that
// version ran 12x slower than AVX-512's. Beyond the limit u^2 is held at the limit's, so the fit
// gives u R(4) / 4, past +-1 from |u| = 4 on; clamping it to [-1, 1] saturates erf exactly there,
// so that the far tails give x and 0 as LibTorch's does (a NaN x still gives NaN). Always inlined
// into the kernels, each compiled for its instruction set.
__attribute__((always_inline)) inline float erfOfScaled(float u, float square) {
  const float s = square < kErfLimitSquared ? square : kErfLimitSquared;
  const float p = ((((((kP6 * s + kP5) * s + kP4) * s + kP3) * s + kP2) * s + kP1) * s + kP0);
  const float q = ((((kQ4 * s + kQ3) * s + kQ2) * s + kQ1) * s + 1.0f);
  const float ratio = u * p / q;
  const float low = ratio < -1.0f ? -1.0f : ratio;
  return low > 1.0f ? 1.0f : low;
}

// GELU of n floats. No calls and no branches in the loop, so each version vectorises.
CFX_VECTOR_KERNEL void geluSpan(const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = in[i];
    const float u = x * kInverseSqrt2;
    out[i] = 0.5f * x * (1.0f + erfOfScaled(u, u * u));
  }
}

// exp(y) for y <= 0 (the Gaussian density's argument): y = k ln 2 + r with |r| <= ln 2 / 2, e^r
// by its degree-6 Taylor polynomial (relative error below 2e-7), 2^k put into the exponent bits.
// Below -87 the result would be subnormal; it is held at e^-87 (about 1.6e-38), which the
// callers multiply by x e^(-x^2/2)-sized factors that make it vanish anyway.
constexpr float kLog2e = 1.4426950408889634f, kLn2High = 0.693145751953125f,
                kLn2Low = 1.428606765330187e-6f, kExpFloor = -87.0f;

// d GELU / dx = Phi(x) + x phi(x), times the incoming gradient. The same erf as geluSpan.
CFX_VECTOR_KERNEL void geluGradientSpan(const float* in, const float* gradient, float* out,
                                        int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float x = in[i];
    const float u = x * kInverseSqrt2;
    const float square = u * u;
    const float erf = erfOfScaled(u, square);
    const float y0 = -square;  // -x^2 / 2
    const float y = y0 < kExpFloor ? kExpFloor : y0;
    const float k = __builtin_floorf(y * kLog2e + 0.5f);
    const float r = (y - k * kLn2High) - k * kLn2Low;
    const float e =
        1.0f +
        r * (1.0f +
             r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
    const int32_t bits = (int32_t(k) + 127) << 23;
    float twoToK;
    __builtin_memcpy(&twoToK, &bits, sizeof(float));
    const float density = 0.3989422804014327f * e * twoToK;  // phi(x)
    out[i] = gradient[i] * (0.5f * (1.0f + erf) + x * density);
  }
}

// Dot products of each row with each weight row, in 16 partial sums (one AVX-512 register, two
// AVX2 ones) added at the end.
CFX_VECTOR_KERNEL void projectSpan(const float* rows, int64_t count, int64_t channels,
                                   const float* weight, int64_t outputs, const float* bias,
                                   float* out) {
  constexpr int64_t kLanes = 16;
  for (int64_t p = 0; p < count; ++p) {
    const float* row = rows + p * channels;
    for (int64_t k = 0; k < outputs; ++k) {
      const float* w = weight + k * channels;
      float lanes[kLanes] = {};
      int64_t j = 0;
      for (; j + kLanes <= channels; j += kLanes)
        for (int64_t l = 0; l < kLanes; ++l) lanes[l] += row[j + l] * w[j + l];
      float sum = bias ? bias[k] : 0.0f;
      for (; j < channels; ++j) sum += row[j] * w[j];
      for (int64_t l = 0; l < kLanes; ++l) sum += lanes[l];
      out[p * outputs + k] = sum;
    }
  }
}

// Below this many elements a second thread costs more than it saves.
constexpr int64_t kGrain = 32768;
// Rows whose GELU is kept for the projection: 256 rows of 48 channels are 48 KiB.
constexpr int64_t kRowsKept = 256;

}  // namespace

void geluErf(const float* in, float* out, int64_t n) {
  at::parallel_for(0, n, kGrain, [&](int64_t begin, int64_t end) {
    geluSpan(in + begin, out + begin, end - begin);
  });
}

void geluThenProject(const float* in, int64_t pixels, int64_t channels, const float* weight,
                     int64_t outputs, const float* bias, float* out) {
  at::parallel_for(
      0, pixels, std::max<int64_t>(1, kGrain / channels), [&](int64_t begin, int64_t end) {
        std::vector<float> gelu(size_t(std::min(kRowsKept, end - begin) * channels));
        for (int64_t first = begin; first < end; first += kRowsKept) {
          const int64_t count = std::min(kRowsKept, end - first);
          geluSpan(in + first * channels, gelu.data(), count * channels);
          projectSpan(gelu.data(), count, channels, weight, outputs, bias, out + first * outputs);
        }
      });
}

namespace {

// What the kernels serve: an fp32 CPU tensor whose memory is one dense block (contiguous or
// channels-last, read as a flat array), on a CPU where they pay.
bool kernelServes(const torch::Tensor& x) {
  const bool dense = x.is_contiguous() || x.is_contiguous(torch::MemoryFormat::ChannelsLast);
  return fastGeluPays() && x.device().is_cpu() && x.scalar_type() == torch::kFloat && dense;
}

torch::Tensor geluOf(const torch::Tensor& x) {
  auto out = torch::empty_like(x);  // keeps x's layout
  geluErf(x.data_ptr<float>(), out.data_ptr<float>(), x.numel());
  return out;
}

// GELU with the kernels above in both directions, for training. The gradient's own gradient
// (never asked for here) would come from LibTorch's operations, not from the kernel.
class FastGeluFunction : public torch::autograd::Function<FastGeluFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& x) {
    context->save_for_backward({x});
    return geluOf(x);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const auto x = context->get_saved_variables()[0];
    auto gradient = gradients[0];
    if (torch::GradMode::is_enabled())  // a graph of the gradient is wanted: LibTorch's path
      return {torch::gelu_backward(gradient, x)};
    // The incoming gradient in x's layout, so that both run through one flat loop.
    if (gradient.strides() != x.strides()) {
      auto copy = torch::empty_like(x);
      copy.copy_(gradient);
      gradient = copy;
    }
    auto out = torch::empty_like(x);
    const float* in = x.data_ptr<float>();
    const float* g = gradient.data_ptr<float>();
    float* o = out.data_ptr<float>();
    at::parallel_for(0, x.numel(), kGrain, [&](int64_t begin, int64_t end) {
      geluGradientSpan(in + begin, g + begin, o + begin, end - begin);
    });
    return {out};
  }
};

}  // namespace

torch::Tensor trainableFastGelu(const torch::Tensor& x) {
  return kernelServes(x) ? FastGeluFunction::apply(x) : torch::Tensor();
}

int threadsUsedByLoopKernels(int64_t n) {
  std::vector<std::atomic<bool>> used(size_t(std::max(1, at::get_num_threads())));
  at::parallel_for(0, n, 1, [&](int64_t, int64_t) {
    const auto thread = size_t(at::get_thread_num());
    if (thread < used.size()) used[thread] = true;
  });
  return int(std::count(used.begin(), used.end(), true));
}

bool fastGeluPays() {
  return __builtin_cpu_supports("avx512f");
}

torch::Tensor fastGelu(const torch::Tensor& x) {
  const bool gradient = x.requires_grad() && torch::GradMode::is_enabled();
  return kernelServes(x) && !gradient ? geluOf(x) : torch::Tensor();
}

}  // namespace cfx
