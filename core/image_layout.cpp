#include "image_layout.h"

#include "fast_gelu.h"

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
  if (x.dim() == 4 && !x.is_contiguous() && x.is_contiguous(torch::MemoryFormat::ChannelsLast))
    return torch::gelu(x.permute({0, 2, 3, 1})).permute({0, 3, 1, 2});
  return torch::gelu(x);
}

torch::Tensor addUpsampled(const torch::Tensor& coarse, const torch::Tensor& fine) {
  const int64_t n = fine.size(0), c = fine.size(1), height = fine.size(2), width = fine.size(3);
  const int64_t h = coarse.size(2), w = coarse.size(3), fy = height / h, fx = width / w;
  TORCH_CHECK(fy * h == height && fx * w == width && coarse.size(1) == c,
              "addUpsampled: sizes do not divide");
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
