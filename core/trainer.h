#pragma once

#include <torch/torch.h>
#include <atomic>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "safetensors.h"

namespace cfx {

// The EMA's decay after `step` updates: the configured one, but never more than
// (1 + step) / (10 + step), so that the average forgets the initial weights within a short run
// (at decay 0.999 a 1500-step run would otherwise keep 22 % of them).
double emaDecayAt(double decay, int64_t step);

struct TrainingOptions {
  int64_t steps = 1000;
  double learningRate = 1e-3;
  double weightDecay = 1e-4;
  int64_t warmupSteps = 100;               // linear learning-rate warm-up from 0
  double finalLearningRateFraction = 1.0;  // < 1: cosine decay to this fraction at the last step
  double clipGradNorm = 1.0;               // gradients are rescaled to at most this global norm
  double skipGradNorm = 1e3;    // an update whose norm exceeds this (or is not finite) is skipped
  double emaDecay = 0.999;      // the EMA weights are what validation sees and what is shipped
  int64_t validateEvery = 200;  // 0: only at the end
  int64_t checkpointEvery = 200;
  int64_t logEvery = 10;
  std::uint64_t seed = 0;

  nlohmann::json toJson() const;
  static TrainingOptions fromJson(const nlohmann::json& json, const std::string& source);
};

struct StepResult {
  torch::Tensor loss;                     // scalar, to be minimised
  std::map<std::string, double> scalars;  // extra numbers for metrics.jsonl
};

struct TrainingProgress {
  int64_t step = 0, steps = 0, skipped = 0;
  double loss = 0.0, learningRate = 0.0, elapsedSeconds = 0.0, secondsLeft = 0.0;
  std::map<std::string, double> validation;  // set on validation steps
};

struct TrainingHooks {
  // One optimisation step's loss. `generator` is seeded from (seed, step), so a batch depends only
  // on its step: that is what makes a resumed run follow the uninterrupted one.
  std::function<StepResult(int64_t step, at::Generator& generator)> step;
  // Validation metrics, computed with the EMA weights loaded in the model. May be empty.
  std::function<std::map<std::string, double>()> validate;
  std::function<void(const TrainingProgress&)> progress;
  // Tensors outside the model that the steps update (a Lagrange multiplier): checkpointed with the
  // model and restored in place on resume.
  NamedTensors state;
};

enum class TrainingOutcome { Finished, Interrupted };

// Trains `model` in `runDir` (created if needed): resumes from runDir/checkpoint.safetensors when
// present, appends to runDir/metrics.jsonl, checkpoints atomically every checkpointEvery steps and
// when `stop` is raised. On Finished the model holds the EMA weights.
TrainingOutcome train(torch::nn::Module& model, const TrainingOptions& options,
                      const TrainingHooks& hooks, const std::string& runDir,
                      const std::atomic<bool>* stop = nullptr);

// A CPU generator for a (seed, stream) pair.
at::Generator makeGenerator(std::uint64_t seed, std::uint64_t stream = 0);

}  // namespace cfx
