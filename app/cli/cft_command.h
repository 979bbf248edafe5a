#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx train cft`: counterfactual fine-tuning of a model's HVAE (none, reg, seg, pos-seg).
int runTrainCft(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
