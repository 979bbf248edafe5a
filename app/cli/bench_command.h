#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx bench`: abduction time, the cost of a slider move, and training throughput.
int runBenchCommand(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
