#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx counterfactual`: one radiograph, one set of interventions, files out.
int runCounterfactualCommand(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
