#pragma once

#include <torch/torch.h>

namespace cfx {

// Maps a mechanism's parent vector to its parameters: a linear path plus a small MLP (so linear
// dependences are easy and non-linear ones possible). A root variable has no parents: its
// parameters are a learned constant. hidden == 0 gives a purely linear conditioner.
class ConditionerImpl : public torch::nn::Module {
 public:
  ConditionerImpl(int64_t inputs, int64_t outputs, int64_t hidden);
  torch::Tensor forward(const torch::Tensor& parents, int64_t batch);

 private:
  int64_t inputs_, outputs_;
  torch::nn::Linear linear_{nullptr}, hidden1_{nullptr}, hidden2_{nullptr}, out_{nullptr};
  torch::Tensor constant_;
};
TORCH_MODULE(Conditioner);

}  // namespace cfx
