#include "image_layout.h"

#include <ATen/Parallel.h>
#include <algorithm>
#include <cstring>

#include "fast_gelu.h"
#include "vector_kernel.h"

namespace cfx {

torch::Tensor preferredLayout(const torch::Tensor& x) {
  if (!x.device().is_cpu() || x.dim() != 4) return x;
  return x.contiguous(torch::MemoryFormat::ChannelsLast);
}

torch::Tensor geluAnyLayout(const torch::Tensor& x) {
  // LibTorch 1.13's bf16 GELU on the CPU is scalar (40x its fp32 kernel): fp32 in between.
  if (x.scalar_type() == torch::kBFloat16 && x.device().is_cpu())
    return geluAnyLayout(x.to(torch::kFloat)).to(torch::kBFloat16);
  if (auto fast = fastGelu(x); fast.defined()) return fast;
  if (auto trainable = trainableFastGelu(x); trainable.defined()) return trainable;
  if (x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(torch::MemoryFormat::ChannelsLast))
    return torch::gelu(x.permute({0, 2, 3, 1})).permute({0, 3, 1, 2});
  return torch::gelu(x);
}

torch::Tensor addPerImageBias(const torch::Tensor& x, const torch::Tensor& bias) {
  const auto perImage = bias.reshape({x.size(0), x.size(1)});
  if (x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(torch::MemoryFormat::ChannelsLast))
    return (x.permute({0, 2, 3, 1}) + perImage.view({x.size(0), 1, 1, x.size(1)}))
        .permute({0, 3, 1, 2});
  return x + perImage.view({x.size(0), x.size(1), 1, 1});
}

namespace {

torch::Tensor emptyNhwc(int64_t n, int64_t c, int64_t h, int64_t w, const torch::Tensor& like) {
  return at::empty({n, c, h, w}, like.options().memory_format(torch::MemoryFormat::ChannelsLast));
}

// Rows per task: an NHWC row of a 128 px, 48-channel activation is 24 KiB.
constexpr int64_t kRowsPerTask = 8;

// An fp32 CPU tensor laid out channels-last in one block: what the loops below read and write.
bool nhwcFloat(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.dim() == 4 &&
         t.is_contiguous(torch::MemoryFormat::ChannelsLast);
}

// Nearest-neighbour upsampling of an NHWC x by whole factors (fy, fx).
torch::Tensor upsampleRows(const torch::Tensor& x, int64_t fy, int64_t fx) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), width = w * fx;
  auto out = emptyNhwc(n, c, h * fy, width, x);
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  // One fine row per coarse row is written pixel by pixel; its copies below it are one memcpy.
  at::parallel_for(0, n * h, kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const float* source = in + row * w * c;
      float* first = o + row * fy * width * c;
      for (int64_t j = 0; j < w; ++j)
        for (int64_t k = 0; k < fx; ++k)
          std::memcpy(first + (j * fx + k) * c, source + j * c, size_t(c) * sizeof(float));
      for (int64_t k = 1; k < fy; ++k)
        std::memcpy(first + k * width * c, first, size_t(width * c) * sizeof(float));
    }
  });
  return out;
}

// coarse upsampled by (fine's size / coarse's), plus fine; both NHWC.
torch::Tensor addUpsampledRows(const torch::Tensor& coarse, const torch::Tensor& fine) {
  const int64_t n = fine.size(0), c = fine.size(1), height = fine.size(2), width = fine.size(3);
  const int64_t h = coarse.size(2), w = coarse.size(3), fy = height / h, fx = width / w;
  auto out = emptyNhwc(n, c, height, width, fine);
  const float* g = coarse.data_ptr<float>();
  const float* f = fine.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, n * height, kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t image = row / height, y = row % height;
      const float* source = g + (image * h + y / fy) * w * c;
      const int64_t offset = row * width * c;
      for (int64_t x = 0; x < width; ++x) {
        const float* a = source + (x / fx) * c;
        const float* b = f + offset + x * c;
        float* r = o + offset + x * c;
        for (int64_t k = 0; k < c; ++k) r[k] = a[k] + b[k];
      }
    }
  });
  return out;
}

// target[x / fx] += source[x] for the width pixels of an NHWC row of c channels.
CFX_VECTOR_KERNEL void accumulateBlocksOfRow(const float* source, float* target, int64_t width,
                                             int64_t fx, int64_t c) {
  for (int64_t x = 0; x < width; ++x) {
    float* t = target + (x / fx) * c;
    const float* s = source + x * c;
    for (int64_t j = 0; j < c; ++j) t[j] += s[j];
  }
}

// The gradient of nearest-neighbour upsampling: each coarse pixel gets the sum of its fy x fx
// block of the fine gradient (NHWC in, NHWC out). LibTorch 1.13 sums the 6-dimensional view of a
// channels-last gradient element by element: 40-80 ms for a 48-channel 128 px batch of 8, the
// largest single operation of a training step.
torch::Tensor sumBlocks(const torch::Tensor& fine, int64_t fy, int64_t fx) {
  const int64_t n = fine.size(0), c = fine.size(1), height = fine.size(2), width = fine.size(3);
  const int64_t h = height / fy, w = width / fx;
  auto out = emptyNhwc(n, c, h, w, fine);
  const float* in = fine.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, n * h, 1, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      float* target = o + row * w * c;
      std::fill(target, target + w * c, 0.0f);
      for (int64_t k = 0; k < fy; ++k)
        accumulateBlocksOfRow(in + (row * fy + k) * width * c, target, width, fx, c);
    }
  });
  return out;
}

// The mean of each factor x factor block of an NHWC x.
torch::Tensor meanOfBlocks(const torch::Tensor& x, int64_t factor) {
  return sumBlocks(x, factor, factor).mul_(1.0 / double(factor * factor));
}

// A gradient in NHWC, the layout the loops read (a copy only where autograd handed another).
torch::Tensor nhwcGradient(const torch::Tensor& gradient) {
  return gradient.contiguous(torch::MemoryFormat::ChannelsLast);
}

// sumBlocks where a graph of the gradient is wanted (a second derivative): LibTorch's sum.
torch::Tensor sumBlocksDifferentiably(const torch::Tensor& fine, int64_t fy, int64_t fx) {
  const int64_t n = fine.size(0), c = fine.size(1), height = fine.size(2), width = fine.size(3);
  return fine.reshape({n, c, height / fy, fy, width / fx, fx}).sum({3, 5});
}

torch::Tensor blockSumsOf(const torch::Tensor& gradient, int64_t fy, int64_t fx) {
  if (torch::GradMode::is_enabled()) return sumBlocksDifferentiably(gradient, fy, fx);
  return sumBlocks(nhwcGradient(gradient), fy, fx);
}

class UpsampleFunction : public torch::autograd::Function<UpsampleFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& x,
                               int64_t fy, int64_t fx) {
    context->saved_data["fy"] = fy;
    context->saved_data["fx"] = fx;
    return upsampleRows(x, fy, fx);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const int64_t fy = context->saved_data["fy"].toInt(), fx = context->saved_data["fx"].toInt();
    return {blockSumsOf(gradients[0], fy, fx), torch::Tensor(), torch::Tensor()};
  }
};

class UpsampledSumFunction : public torch::autograd::Function<UpsampledSumFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context,
                               const torch::Tensor& coarse, const torch::Tensor& fine) {
    context->saved_data["fy"] = fine.size(2) / coarse.size(2);
    context->saved_data["fx"] = fine.size(3) / coarse.size(3);
    return addUpsampledRows(coarse, fine);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const int64_t fy = context->saved_data["fy"].toInt(), fx = context->saved_data["fx"].toInt();
    return {blockSumsOf(gradients[0], fy, fx), gradients[0]};
  }
};

// The identity, whose backward hands on the gradient channels-last.
class ChannelsLastGradientFunction
    : public torch::autograd::Function<ChannelsLastGradientFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext*, const torch::Tensor& x) {
    return x.view_as(x);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext*,
                                               torch::autograd::tensor_list gradients) {
    return {gradients[0].contiguous(torch::MemoryFormat::ChannelsLast)};
  }
};

// The mean of each factor x factor block, and its gradient: the gradient upsampled, over the
// block's size.
class AveragePoolFunction : public torch::autograd::Function<AveragePoolFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& x,
                               int64_t factor) {
    context->saved_data["factor"] = factor;
    return meanOfBlocks(x, factor);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* context,
                                               torch::autograd::tensor_list gradients) {
    const int64_t factor = context->saved_data["factor"].toInt();
    const double share = 1.0 / double(factor * factor);
    const auto& gradient = gradients[0];
    if (torch::GradMode::is_enabled())  // a graph of the gradient is wanted: LibTorch's
      return {torch::upsample_nearest2d(gradient,
                                        {gradient.size(2) * factor, gradient.size(3) * factor}) *
                  share,
              torch::Tensor()};
    return {upsampleRows(nhwcGradient(gradient), factor, factor).mul_(share), torch::Tensor()};
  }
};

bool recordsGradient(const torch::Tensor& t) {
  return t.requires_grad() && torch::GradMode::is_enabled();
}

}  // namespace

torch::Tensor withChannelsLastGradient(const torch::Tensor& x) {
  if (x.dim() != 4 || !x.device().is_cpu() || !recordsGradient(x)) return x;
  return ChannelsLastGradientFunction::apply(x);
}

torch::Tensor averagePool(const torch::Tensor& x, int64_t factor) {
  if (!nhwcFloat(x) || x.size(2) % factor || x.size(3) % factor)
    return torch::avg_pool2d(x, factor);
  return recordsGradient(x) ? AveragePoolFunction::apply(x, factor) : meanOfBlocks(x, factor);
}

torch::Tensor upsampleNearest(const torch::Tensor& x, int64_t height, int64_t width) {
  const int64_t h = x.size(2), w = x.size(3), fy = height / h, fx = width / w;
  if (!nhwcFloat(x) || fy * h != height || fx * w != width)
    return preferredLayout(torch::upsample_nearest2d(x, {height, width}));
  return recordsGradient(x) ? UpsampleFunction::apply(x, fy, fx) : upsampleRows(x, fy, fx);
}

torch::Tensor addUpsampled(const torch::Tensor& coarse, const torch::Tensor& fine) {
  const int64_t n = fine.size(0), c = fine.size(1), height = fine.size(2), width = fine.size(3);
  const int64_t h = coarse.size(2), w = coarse.size(3), fy = height / h, fx = width / w;
  TORCH_CHECK(fy * h == height && fx * w == width && coarse.size(1) == c,
              "addUpsampled: sizes do not divide");
  if (nhwcFloat(fine) && coarse.scalar_type() == torch::kFloat && coarse.size(0) == n) {
    const auto g = preferredLayout(coarse);
    // One pass: LibTorch's broadcasting sum over the 6-dimensional view took 0.7 ms for a
    // 48-channel 128 px activation, three times this loop (and 10-25 ms for a training batch).
    if (recordsGradient(g) || recordsGradient(fine)) return UpsampledSumFunction::apply(g, fine);
    return addUpsampledRows(g, fine);
  }
  if (!fine.is_contiguous() && fine.is_contiguous(torch::MemoryFormat::ChannelsLast)) {
    const auto f = fine.permute({0, 2, 3, 1}).view({n, h, fy, w, fx, c});
    const auto g = coarse.contiguous(torch::MemoryFormat::ChannelsLast)
                       .permute({0, 2, 3, 1})
                       .view({n, h, 1, w, 1, c});
    return (g + f).view({n, height, width, c}).permute({0, 3, 1, 2});
  }
  const auto f = fine.contiguous().view({n, c, h, fy, w, fx});
  const auto g = coarse.contiguous().view({n, c, h, 1, w, 1});
  return (g + f).view({n, c, height, width});
}

}  // namespace cfx
