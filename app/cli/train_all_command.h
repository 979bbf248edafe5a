#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx train all`: every stage of the default model in order, resuming where it stopped.
int runTrainAll(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
