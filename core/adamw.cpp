#include "adamw.h"

#include <cmath>

#include "validation_error.h"

namespace cfx {

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> parameters, AdamWOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  for (const auto& [name, p] : parameters_) {
    expAvg_.push_back(torch::zeros_like(p));
    expAvgSq_.push_back(torch::zeros_like(p));
  }
}

void AdamW::zeroGrad() {
  for (auto& [name, p] : parameters_)
    if (p.grad().defined()) p.mutable_grad().zero_();
}

void AdamW::step(double learningRate) {
  torch::NoGradGuard noGrad;
  ++steps_;
  const double correction1 = 1.0 - std::pow(options_.beta1, double(steps_));
  const double correction2 = 1.0 - std::pow(options_.beta2, double(steps_));
  for (size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor& p = parameters_[i].second;
    if (!p.grad().defined()) continue;
    const torch::Tensor& g = p.grad();
    expAvg_[i].mul_(options_.beta1).add_(g, 1.0 - options_.beta1);
    expAvgSq_[i].mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
    p.mul_(1.0 - learningRate * options_.weightDecay);
    const auto denominator = (expAvgSq_[i] / correction2).sqrt_().add_(options_.epsilon);
    p.addcdiv_(expAvg_[i], denominator, -learningRate / correction1);
  }
}

NamedTensors AdamW::state() const {
  NamedTensors state;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    state["exp_avg/" + parameters_[i].first] = expAvg_[i];
    state["exp_avg_sq/" + parameters_[i].first] = expAvgSq_[i];
  }
  state["step"] = torch::tensor({steps_}, torch::kInt64);
  return state;
}

void AdamW::loadState(const NamedTensors& state, const std::string& source) {
  const auto get = [&](const std::string& key, const torch::Tensor& like) {
    const auto it = state.find(key);
    if (it == state.end())
      throw ValidationError(source, "tensor '" + key + "'", "missing from the optimiser state");
    if (it->second.sizes() != like.sizes())
      throw ValidationError(source, "tensor '" + key + "'",
                            "shape does not match the model's parameter");
    return it->second.to(like.device(), like.scalar_type());
  };
  for (size_t i = 0; i < parameters_.size(); ++i) {
    expAvg_[i] = get("exp_avg/" + parameters_[i].first, parameters_[i].second);
    expAvgSq_[i] = get("exp_avg_sq/" + parameters_[i].first, parameters_[i].second);
  }
  const auto it = state.find("step");
  if (it == state.end())
    throw ValidationError(source, "tensor 'step'", "missing from the optimiser state");
  steps_ = it->second.item<int64_t>();
}

}  // namespace cfx
