#pragma once

#include <torch/types.h>
#include <string>

#include "causal_graph.h"
#include "manifest.h"

namespace cfx::data {

CausalGraph loadGraphFile(const std::string& path);

// The graph variables of a manifest's rows in one split, as an [N, V] float tensor in graph order;
// NaN where a value is unknown.
torch::Tensor attributeTensor(const data::Manifest& manifest, const CausalGraph& graph,
                              const std::string& split);

}  // namespace cfx::data
