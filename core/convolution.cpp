#include "convolution.h"

#include "single_channel_convolution.h"

namespace cfx {

torch::Tensor convolve2d(const torch::Tensor& x, const torch::Tensor& weight,
                         const torch::Tensor& bias, int64_t padding,
                         PreparedConvolution* prepared) {
  if (x.dim() == 4 && x.size(1) == 1)
    if (auto out = convolveSingleChannel(x, weight, bias, padding); out.defined()) return out;
  if (prepared)
    if (auto out = (*prepared)(x, weight, bias, padding); out.defined()) return out;
  const bool oneDnn = x.device().is_cpu() && at::hasMKLDNN() && x.dim() == 4 &&
                      (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kBFloat16);
  if (!oneDnn) return torch::conv2d(x, weight, bias, 1, padding);
  return at::mkldnn_convolution(x, weight, bias, {padding, padding}, {1, 1}, {1, 1}, 1);
}

torch::Tensor convolve2d(const torch::nn::Conv2d& conv, const torch::Tensor& x,
                         PreparedConvolution* prepared) {
  const auto type = x.scalar_type();
  return convolve2d(x, conv->weight.to(type), conv->bias.to(type), conv->weight.size(-1) / 2,
                    prepared);
}

}  // namespace cfx
