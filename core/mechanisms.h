#pragma once

#include <torch/torch.h>
#include <memory>
#include <string>

#include "conditioner.h"

namespace cfx {

// One structural equation v = f(u; parents), in normalised units. Values are [N]; parents
// [N, P]; noise [N, noiseSize()].
class MechanismImpl : public torch::nn::Module {
 public:
  virtual int64_t noiseSize() const = 0;
  virtual torch::Tensor logProb(const torch::Tensor& value, const torch::Tensor& parents) = 0;
  // The noise consistent with the observation (exact for flows, a posterior sample for discrete).
  virtual torch::Tensor abduct(const torch::Tensor& value, const torch::Tensor& parents,
                               at::Generator& generator) = 0;
  virtual torch::Tensor predict(const torch::Tensor& noise, const torch::Tensor& parents) = 0;
  virtual torch::Tensor sampleNoise(int64_t batch, at::Generator& generator) = 0;
};

enum class FlowKind { Affine, Spline };
FlowKind parseFlowKind(const std::string& text, const std::string& source);
std::string toString(FlowKind kind);

// Continuous variable: value = loc(pa) + scale(pa) * g(u), u ~ N(0, 1), with g the identity
// (affine flow) or a learned rational-quadratic spline (a non-Gaussian noise shape). Invertible,
// so abduction is exact. The spline's shape does not depend on the parents: were it to, a
// counterfactual would abduct through one spline and predict through another, and finite data
// make that dependence spurious (measured on the phantom: 3x the counterfactual error).
class FlowMechanismImpl : public MechanismImpl {
 public:
  FlowMechanismImpl(FlowKind kind, int64_t parents, int64_t hidden, int64_t bins, double bound);
  int64_t noiseSize() const override { return 1; }
  torch::Tensor logProb(const torch::Tensor& value, const torch::Tensor& parents) override;
  torch::Tensor abduct(const torch::Tensor& value, const torch::Tensor& parents,
                       at::Generator& generator) override;
  torch::Tensor predict(const torch::Tensor& noise, const torch::Tensor& parents) override;
  torch::Tensor sampleNoise(int64_t batch, at::Generator& generator) override;

  // Noise for a value, with log |d noise / d value| (for tests and the likelihood).
  std::pair<torch::Tensor, torch::Tensor> inverse(const torch::Tensor& value,
                                                  const torch::Tensor& parents);

 private:
  struct Parameters {
    torch::Tensor loc, logScale, widths, heights, derivatives;
  };
  Parameters conditionedParameters(const torch::Tensor& parents, int64_t batch);

  FlowKind kind_;
  int64_t bins_;
  double bound_;
  Conditioner conditioner_{nullptr};
  torch::Tensor spline_;  // [3 * bins - 1] unnormalised widths, heights, slopes
};

// Discrete variable with C categories: value = argmax_k(logit_k(pa) + g_k), g_k ~ Gumbel(0, 1).
// Abduction samples the Gumbels from their posterior given the observed category (the
// truncated-Gumbel construction), so a counterfactual keeps the "luck" of the observation.
class CategoricalMechanismImpl : public MechanismImpl {
 public:
  CategoricalMechanismImpl(int64_t categories, int64_t parents, int64_t hidden);
  int64_t noiseSize() const override { return categories_; }
  torch::Tensor logProb(const torch::Tensor& value, const torch::Tensor& parents) override;
  torch::Tensor abduct(const torch::Tensor& value, const torch::Tensor& parents,
                       at::Generator& generator) override;
  torch::Tensor predict(const torch::Tensor& noise, const torch::Tensor& parents) override;
  torch::Tensor sampleNoise(int64_t batch, at::Generator& generator) override;
  torch::Tensor logits(const torch::Tensor& parents, int64_t batch) {
    return conditioner_(parents, batch);
  }

 private:
  int64_t categories_;
  Conditioner conditioner_{nullptr};
};

}  // namespace cfx
