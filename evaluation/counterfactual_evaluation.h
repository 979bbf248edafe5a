#pragma once

#include <torch/types.h>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "image_buffer.h"
#include "work_monitor.h"

namespace cfx::evaluation {

struct CounterfactualEvaluationOptions {
  std::string modelDir;  // scm, hvae, segmentor, eval_segmentor, predictors
  std::string dataDir;   // at the model's image size; a phantom adds ground truth
  std::string split = "test";
  int64_t interventions = 300;  // the same sample for the same seed
  std::uint64_t seed = 1;
  int64_t cycles = 30;  // interventions that also get the 10-cycle composition
  int64_t grid = 8;     // examples drawn for the report
  torch::Device device = torch::kCPU;
};

// A table as text cells, for the console and the HTML report alike.
struct TextTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// Targets and measured values of one structure's interventions, for a scatter plot.
struct AreaScatter {
  std::string variable;
  std::vector<double> targets, achieved;
};

// One drawn example: the tiles side by side, and a caption that says everything in words.
struct EvaluationExample {
  RgbImage row;
  std::string caption;
};

// The whole evaluation of a model's counterfactuals (method.md section 5) on one data set.
struct CounterfactualEvaluation {
  nlohmann::json metrics;  // everything, including the fine-tuning record: metrics.json
  TextTable effectiveness, locality, truth;  // truth: empty without a phantom
  int64_t regionDilation = 0;                // pixels the locality regions grow by
  int64_t cyclesRun = 0;                     // interventions with the 10-cycle composition
  double composition1 = 0, composition10 = 0, frechetDistance = 0, kid = 0;
  double nelboBitsPerDim = 0;
  std::vector<AreaScatter> scatter;
  std::vector<EvaluationExample> examples;
  bool hasTruth() const { return !truth.rows.empty(); }
};

// Effectiveness (independent evaluation segmentor for areas, predictors for the rest, every
// variable scored), composition (1 and 10 null cycles), reversibility, locality (change outside
// and inside the intervened structure), realism (Frechet distance and KID on the evaluation
// segmentor's features) and, on phantom data, the error against the true counterfactual.
CounterfactualEvaluation evaluateCounterfactuals(const CounterfactualEvaluationOptions& options,
                                                 WorkMonitor& monitor);

}  // namespace cfx::evaluation
