#pragma once

#include <torch/types.h>
#include <cstdint>
#include <functional>
#include <string>

#include "counterfactual_engine.h"

namespace cfx::evaluation {

// What to time: a model folder, or random networks of a given architecture (the cost does not
// depend on the weights).
struct BenchmarkSubject {
  std::string modelDir;  // when set, its networks and image size; the rest is ignored
  int64_t size = 128;
  std::string architecture;  // HVAE stages; empty: the default scaled to `size`
  int64_t width = 48;
  int64_t latentChannels = 8;
  int64_t segmentorWidth = 16;
};

struct BenchmarkSettings {
  torch::Device device = torch::kCPU;
  Precision precision = Precision::Float32;
  int repeats = 15;
  int64_t trainingBatch = 8;  // 0: no training measurement
  // Called before every timed piece of work (the CLI chooses the thread count there, as the
  // explorer does before every slider move).
  std::function<void()> beforeEachJob;
};

// Medians over the repeats, part by part (each part's own median) and in total (the median of
// the sums).
struct EngineTimings {
  std::string description;  // the architecture timed
  int64_t size = 0;
  AbductionTimings abduction;
  double abductionTotal = 0.0;
  PredictionTimings move;
  double imageShown = 0.0;               // a slider move until its image can be drawn
  double imageAndAreas = 0.0;            // ... and its areas and overlay are measured
  double trainingImagesPerSecond = 0.0;  // HVAE training steps (0 when not measured)
};

EngineTimings benchmarkEngine(const BenchmarkSubject& subject, const BenchmarkSettings& settings);

// The default architecture scaled to an image size: two blocks per resolution down to 4 px, then
// 1 px (128 px gives "128b2,64b2,32b2,16b2,8b2,4b2,1b2").
std::string defaultArchitectureFor(int64_t size);

}  // namespace cfx::evaluation
