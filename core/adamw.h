#pragma once

#include <torch/torch.h>
#include <string>
#include <utility>
#include <vector>

#include "safetensors.h"

namespace cfx {

struct AdamWOptions {
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 1e-4;
};

// AdamW with decoupled weight decay. Written here rather than taken from torch::optim so that its
// state is a plain set of named tensors: checkpoints then read the same under every LibTorch.
class AdamW {
 public:
  AdamW(std::vector<std::pair<std::string, torch::Tensor>> parameters, AdamWOptions options);

  void step(double learningRate);
  void zeroGrad();
  int64_t stepCount() const { return steps_; }

  NamedTensors state() const;  // "exp_avg/<name>", "exp_avg_sq/<name>", "step"
  void loadState(const NamedTensors& state, const std::string& source);

 private:
  std::vector<std::pair<std::string, torch::Tensor>> parameters_;
  std::vector<torch::Tensor> expAvg_, expAvgSq_;
  AdamWOptions options_;
  int64_t steps_ = 0;
};

}  // namespace cfx
