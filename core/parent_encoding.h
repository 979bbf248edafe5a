#pragma once

#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "causal_graph.h"

namespace cfx {

// How the image mechanism sees its parents: continuous values standardised with statistics from
// the training split, binary ones as -1 / +1. Stored with the HVAE so that training and every
// later use encode identically.
class ParentEncoding {
 public:
  struct Entry {
    std::string name;
    bool binary = false;
    double mean = 0.0, std = 1.0;
  };

  // From training data: `values` [N, V] in graph order.
  static ParentEncoding fit(const CausalGraph& graph, const torch::Tensor& values);
  static ParentEncoding fromJson(const nlohmann::json& json, const std::string& source);
  nlohmann::json toJson() const;

  const std::vector<Entry>& entries() const { return entries_; }
  int64_t size() const { return int64_t(entries_.size()); }
  // [N, V] graph-ordered values (of `graph`, which must hold every encoded name) -> [N, size()].
  torch::Tensor encode(const torch::Tensor& values, const CausalGraph& graph) const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace cfx
