#pragma once

#include <torch/types.h>
#include <string>

namespace cfx {

// The arithmetic the HVAE's convolutions run in. BFloat16 halves their memory traffic and, on
// CPUs with AVX512-BF16 (or CUDA GPUs), runs 3x3 convolutions at twice the rate; sums, the
// residual streams and the likelihood stay fp32. With LibTorch 1.13's CPU kernels the casts
// and its scalar bf16 GELU eat the gain (see the README's table).
enum class Precision { Float32, BFloat16 };

// "fp32", "bf16", or "auto" (bf16 where the device computes it natively, else fp32).
Precision parsePrecision(const std::string& text, const torch::Device& device);
std::string precisionName(Precision precision);
torch::ScalarType computeType(Precision precision);
// Whether `device` has bf16 arithmetic in hardware: AVX512-BF16 on a CPU, any CUDA GPU.
bool hasNativeBFloat16(const torch::Device& device);

}  // namespace cfx
