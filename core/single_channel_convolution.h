#pragma once

#include <torch/torch.h>

namespace cfx {

// A stride-1 convolution of one-channel images (a radiograph: the first layer of every network
// here) into a channels-last map, for inference: fp32 CPU tensors, no gradient to record. Neither
// oneDNN (only its reference kernel for one input channel) nor LibTorch's path (1.3 ms and a
// 0.7 ms layout change for the HVAE's 48-channel stem at 128 px) suits it; a direct loop over the
// taps, vectorised over the output channels, writes the channels-last result at once.
// `padding` zeros on every side. Returns an undefined tensor when the call is not such a one.
torch::Tensor convolveSingleChannel(const torch::Tensor& x, const torch::Tensor& weight,
                                    const torch::Tensor& bias, int64_t padding);

}  // namespace cfx
