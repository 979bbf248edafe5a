#pragma once

#include <torch/torch.h>
#include <array>
#include <nlohmann/json.hpp>

#include "prepared_convolution.h"

namespace cfx {

// Two 3x3 convolutions with GroupNorm and SiLU: the one block every image network here is built of.
class ConvBlockImpl : public torch::nn::Module {
 public:
  ConvBlockImpl(int64_t in, int64_t out);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  std::array<PreparedConvolution, 2> prepared_;  // their primitives for inference
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
};
TORCH_MODULE(ConvBlock);

struct UNetConfig {
  int64_t inChannels = 1;
  int64_t classes = 4;  // background + structures
  int64_t width = 16;   // channels at full resolution, doubled at each level
  int64_t depth = 4;    // resolution levels

  nlohmann::json toJson() const;
  static UNetConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// U-Net: per-pixel class logits [N, classes, H, W] for images [N, 1, H, W] with H, W divisible
// by 2^(depth-1).
class UNetImpl : public torch::nn::Module {
 public:
  explicit UNetImpl(const UNetConfig& config);
  torch::Tensor forward(const torch::Tensor& x);
  // The mean activation of every encoder level, concatenated: [N, sum of level widths]. A
  // descriptor of the whole image for realism scores (Frechet distance, KID).
  torch::Tensor pooledEncoderFeatures(const torch::Tensor& x);
  const UNetConfig& config() const { return config_; }

 private:
  UNetConfig config_;
  std::vector<ConvBlock> down_, up_;
  std::vector<torch::nn::Conv2d> reduce_;
  torch::nn::Conv2d head_{nullptr};
  std::vector<PreparedConvolution> preparedReduce_;  // the primitives of reduce_ and head_
  PreparedConvolution preparedHead_;
};
TORCH_MODULE(UNet);

}  // namespace cfx
