#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx figure`: reconstructions and counterfactuals for every variable, with difference maps.
int runFigureCommand(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
