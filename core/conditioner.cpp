#include "conditioner.h"

namespace cfx {

ConditionerImpl::ConditionerImpl(int64_t inputs, int64_t outputs, int64_t hidden)
    : inputs_(inputs), outputs_(outputs) {
  if (inputs == 0) {
    constant_ = register_parameter("constant", torch::zeros({outputs}));
    return;
  }
  linear_ = register_module("linear", torch::nn::Linear(inputs, outputs));
  if (hidden == 0) return;  // a purely linear conditioner
  hidden1_ = register_module("hidden1", torch::nn::Linear(inputs, hidden));
  hidden2_ = register_module("hidden2", torch::nn::Linear(hidden, hidden));
  out_ = register_module("out", torch::nn::Linear(hidden, outputs));
  // Start as the linear model: the MLP's contribution grows only as the data ask for it.
  torch::NoGradGuard noGrad;
  out_->weight.zero_();
  out_->bias.zero_();
  linear_->weight.mul_(0.1);
  linear_->bias.zero_();
}

torch::Tensor ConditionerImpl::forward(const torch::Tensor& parents, int64_t batch) {
  if (inputs_ == 0) return constant_.unsqueeze(0).expand({batch, outputs_});
  if (!hidden1_) return linear_(parents);
  const auto h = torch::gelu(hidden2_(torch::gelu(hidden1_(parents))));
  return linear_(parents) + out_(h);
}

}  // namespace cfx
