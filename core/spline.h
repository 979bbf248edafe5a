#pragma once

#include <torch/torch.h>
#include <utility>

namespace cfx {

// Monotone rational-quadratic spline (Durkan et al., "Neural Spline Flows", 2019) on [-bound,
// bound], identity outside (linear tails with unit slope). `widths` and `heights` are [N, K]
// unnormalised bin sizes, `derivatives` [N, K-1] unnormalised interior knot slopes.
// Returns (output, log |d output / d input|) per element of the [N] input.
std::pair<torch::Tensor, torch::Tensor> splineForward(const torch::Tensor& input,
                                                      const torch::Tensor& widths,
                                                      const torch::Tensor& heights,
                                                      const torch::Tensor& derivatives,
                                                      double bound);
std::pair<torch::Tensor, torch::Tensor> splineInverse(const torch::Tensor& input,
                                                      const torch::Tensor& widths,
                                                      const torch::Tensor& heights,
                                                      const torch::Tensor& derivatives,
                                                      double bound);

}  // namespace cfx
