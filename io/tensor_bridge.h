#pragma once

#include <torch/types.h>

#include "image_buffer.h"

namespace cfx::io {

// The engine's image convention: float32 [1, 1, H, W] in [-1, 1] (the HVAE's range).
torch::Tensor toTensor(const GrayImage& image);
// Accepts [H, W], [1, H, W] or [1, 1, H, W] on any device; values are clamped to [-1, 1].
GrayImage fromTensor(const torch::Tensor& tensor);

}  // namespace cfx::io
