#pragma once

#include <torch/types.h>
#include <cstdint>

namespace cfx::evaluation {

// Medians of the engine's costs at one image size with the default architectures (random
// weights: the cost does not depend on them).
struct EngineTimings {
  double abductionMs = 0;   // once per opened image
  double predictionMs = 0;  // a slider move: SCM, one HVAE decoder pass, the segmentor's areas
  double trainingImagesPerSecond = 0;
};

EngineTimings benchmarkEngine(int64_t size, const torch::Device& device, int repeats,
                              int64_t batch);

}  // namespace cfx::evaluation
