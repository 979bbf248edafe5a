#pragma once

#include <torch/torch.h>
#include <memory>

namespace cfx {

// A stride-1 convolution with a gradient, on oneDNN's training primitives (forward, backward of
// the data, backward of the weights) made once for each input shape and thread count and kept.
// LibTorch 1.13 goes through ideep, which builds the backward primitives again on every call and
// reorders activations and gradients around them: a 1x1 convolution's backward took 6-10x its
// forward (9 ms for a 48-channel 128 px batch of 8, where oneDNN's own primitives take 3-4), the
// first convolution's (one input channel) 16 ms. Serves fp32 CPU tensors when a gradient is
// recorded and answers an undefined tensor otherwise (inference, bf16, another device, a build
// without oneDNN's headers), so that the caller takes LibTorch's path. Channels-last out; the
// gradients are channels-last too. A gradient with a graph of its own (a second derivative)
// runs through LibTorch's differentiable operations instead. Copies start empty.
class TrainableConvolution {
 public:
  TrainableConvolution();
  ~TrainableConvolution();
  TrainableConvolution(const TrainableConvolution&);
  TrainableConvolution& operator=(const TrainableConvolution&);

  // `padding` on every side; bias may be undefined.
  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, int64_t padding);

  // How many primitive sets (or refusals) are kept: one per input shape and thread count.
  size_t kept() const;

  struct Cache;

 private:
  std::shared_ptr<Cache> cache_;
};

}  // namespace cfx
