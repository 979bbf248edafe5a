#pragma once

#include <torch/types.h>
#include <cstdint>
#include <string>

#include "image_buffer.h"

namespace cfx::evaluation {

// A figure of a model's counterfactuals: for each of the first `subjects` subjects of `split` the
// original, the reconstruction (null intervention) and one counterfactual per graph variable (sex
// flipped, age +20 years, each area -20 %), with the difference maps below on one colour scale
// per subject.
RgbImage counterfactualFigure(const std::string& modelDir, const std::string& dataDir,
                              int64_t subjects, const torch::Device& device,
                              const std::string& split = "test");

}  // namespace cfx::evaluation
