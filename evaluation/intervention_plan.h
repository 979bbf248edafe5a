#pragma once

#include <torch/types.h>
#include <cstdint>
#include <vector>

#include "causal_graph.h"

namespace cfx::evaluation {

// One planned intervention: the same list for every model evaluated with the same seed and data.
struct PlannedIntervention {
  int64_t subject = 0;
  size_t variable = 0;
  double target = 0.0;
};

// Structure variables are changed by 10-30 % up or down, other continuous ones by 10-30 % of
// their range, binary ones flipped; all clamped to the graph's range.
std::vector<PlannedIntervention> planInterventions(const CausalGraph& graph,
                                                   const torch::Tensor& attributes, int64_t count,
                                                   std::uint64_t seed);

}  // namespace cfx::evaluation
