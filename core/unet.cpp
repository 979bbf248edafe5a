#include "unet.h"

#include "convolution.h"
#include "image_layout.h"
#include "json_fields.h"
#include "validation_error.h"

namespace cfx {
namespace {

int64_t groupsFor(int64_t channels) {
  return channels % 8 == 0 ? 8 : (channels % 4 == 0 ? 4 : 1);
}

}  // namespace

ConvBlockImpl::ConvBlockImpl(int64_t in, int64_t out) {
  conv1_ =
      register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)));
  norm1_ = register_module("norm1", torch::nn::GroupNorm(groupsFor(out), out));
  conv2_ =
      register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3).padding(1)));
  norm2_ = register_module("norm2", torch::nn::GroupNorm(groupsFor(out), out));
}

torch::Tensor ConvBlockImpl::forward(const torch::Tensor& x) {
  const auto h = torch::silu(norm1_(convolve2d(conv1_, x, &prepared_[0])));
  return torch::silu(norm2_(convolve2d(conv2_, h, &prepared_[1])));
}

nlohmann::json UNetConfig::toJson() const {
  return {{"in_channels", inChannels}, {"classes", classes}, {"width", width}, {"depth", depth}};
}

UNetConfig UNetConfig::fromJson(const nlohmann::json& json, const std::string& source) {
  UNetConfig c;
  for (const auto& [key, member] : std::vector<std::pair<const char*, int64_t UNetConfig::*>>{
           {"in_channels", &UNetConfig::inChannels},
           {"classes", &UNetConfig::classes},
           {"width", &UNetConfig::width},
           {"depth", &UNetConfig::depth}}) {
    if (!json.contains(key) || !json.at(key).is_number_integer() || json.at(key).get<int64_t>() < 1)
      throw ValidationError(source, std::string("unet.") + key,
                            "missing or not a positive integer");
    c.*member = json.at(key).get<int64_t>();
  }
  checkRange(c.inChannels, 1, 16, source, "unet.in_channels");
  checkRange(c.classes, 2, 64, source, "unet.classes");
  checkRange(c.width, 1, 512, source, "unet.width");
  checkRange(c.depth, 1, 8, source, "unet.depth");
  return c;
}

UNetImpl::UNetImpl(const UNetConfig& config) : config_(config) {
  int64_t channels = config.inChannels;
  for (int64_t level = 0; level < config.depth; ++level) {
    const int64_t out = config.width << level;
    down_.push_back(register_module("down" + std::to_string(level), ConvBlock(channels, out)));
    channels = out;
  }
  for (int64_t level = config.depth - 2; level >= 0; --level) {
    const int64_t out = config.width << level;
    preparedReduce_.emplace_back();
    reduce_.push_back(
        register_module("reduce" + std::to_string(level),
                        torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, out, 1))));
    up_.push_back(register_module("up" + std::to_string(level), ConvBlock(2 * out, out)));
    channels = out;
  }
  head_ = register_module("head",
                          torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, config.classes, 1)));
}

torch::Tensor UNetImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> skips;
  torch::Tensor h = x;
  for (size_t level = 0; level < down_.size(); ++level) {
    if (level > 0) h = averagePool(h, 2);
    h = down_[level](h);
    skips.push_back(h);
  }
  for (size_t i = 0; i < up_.size(); ++i) {
    const auto& skip = skips[skips.size() - 2 - i];
    h = torch::upsample_nearest2d(convolve2d(reduce_[i], h, &preparedReduce_[i]),
                                  {skip.size(2), skip.size(3)});
    h = up_[i](torch::cat({h, skip}, 1));
  }
  return convolve2d(head_, h, &preparedHead_);
}

torch::Tensor UNetImpl::pooledEncoderFeatures(const torch::Tensor& x) {
  std::vector<torch::Tensor> pooled;
  torch::Tensor h = x;
  for (size_t level = 0; level < down_.size(); ++level) {
    if (level > 0) h = averagePool(h, 2);
    h = down_[level](h);
    pooled.push_back(h.mean({2, 3}));
  }
  return torch::cat(pooled, 1);
}

}  // namespace cfx
