#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx data check`: reads every row of a data set and compares each structure's mask area with
// the manifest's value.
int runDataCommand(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
