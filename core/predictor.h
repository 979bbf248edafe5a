#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "causal_graph.h"

#include "unet.h"

namespace cfx {

// One quantity the anti-causal predictor reads off an image.
struct PredictedVariable {
  std::string name;
  bool binary = false;
  double mean = 0.0, std = 1.0;  // normalisation of continuous targets, from the training split
};

struct PredictorConfig {
  int64_t size = 128;
  int64_t width = 16;  // channels of the first block, doubled per level
  int64_t depth = 5;
  std::vector<PredictedVariable> targets;

  nlohmann::json toJson() const;
  static PredictorConfig fromJson(const nlohmann::json& json, const std::string& source);
};

// A CNN that regresses continuous variables and classifies binary ones from the whole image:
// Reg-CFT's guidance and the evaluation of subject-level variables.
class PredictorImpl : public torch::nn::Module {
 public:
  explicit PredictorImpl(PredictorConfig config);
  const PredictorConfig& config() const { return config_; }

  torch::Tensor forward(const torch::Tensor& images);  // [N, T]: normalised values or logits
  // Natural units for continuous targets, probabilities for binary ones. [N, T]
  torch::Tensor predict(const torch::Tensor& images);
  // predict() as values a graph supports: a discrete variable rounded to its nearest category,
  // every variable clamped to its range (targets the graph lacks are left as predicted). [N, T]
  torch::Tensor estimate(const torch::Tensor& images, const CausalGraph& graph);
  // Mean over the batch of: squared error of normalised continuous targets, and binary cross-
  // entropy of binary targets; `targets` [N, T] in natural units (0/1 for binary), NaN where
  // unknown (that term is left out).
  torch::Tensor loss(const torch::Tensor& outputs, const torch::Tensor& targets) const;

 private:
  PredictorConfig config_;
  std::vector<ConvBlock> blocks_;
  torch::nn::Linear head_{nullptr};
  torch::Tensor mean_, std_, binary_;
};
TORCH_MODULE(Predictor);

// The predictors of a model folder, in eval mode.
Predictor loadPredictor(const std::string& modelDir);

// Area under the ROC curve of `scores` for binary `labels` (ties count one half).
double rocAuc(const torch::Tensor& scores, const torch::Tensor& labels);

}  // namespace cfx
