#pragma once

#include <torch/torch.h>

#include "prepared_convolution.h"

namespace cfx {

// A stride-1 2-D convolution that runs on oneDNN on the CPU whatever its shape. LibTorch's own
// choice sends 1x1 convolutions on one thread, and small inputs of one image, to im2col and the
// system BLAS, which on Debian is the reference BLAS: 5-20x slower than oneDNN here. One-channel
// inputs (the images) in inference go to a direct loop of ours (single_channel_convolution).
// With `prepared`, inference calls it can serve go through its kept primitives instead.
torch::Tensor convolve2d(const torch::Tensor& x, const torch::Tensor& weight,
                         const torch::Tensor& bias, int64_t padding,
                         PreparedConvolution* prepared = nullptr);

// The same with a module's weights (cast to x's type: bf16 arithmetic on fp32 parameters), padded
// by kernel / 2: every convolution here keeps the image size.
torch::Tensor convolve2d(const torch::nn::Conv2d& conv, const torch::Tensor& x,
                         PreparedConvolution* prepared = nullptr);

}  // namespace cfx
