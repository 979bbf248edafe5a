#pragma once

#include <torch/types.h>
#include <string>

namespace cfx {

// "cpu", "cuda", "cuda:N", or "auto" (the first CUDA GPU when there is one, else the CPU). Asking
// for CUDA where LibTorch has none is an error that says so, not a silent fall-back.
torch::Device resolveDevice(const std::string& text);
std::string describeDevice(const torch::Device& device);

}  // namespace cfx
