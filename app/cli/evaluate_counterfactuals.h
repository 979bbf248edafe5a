#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx evaluate counterfactuals`: effectiveness, drift, composition and error against the
// phantom's true counterfactuals for random structure interventions.
int runEvaluateCounterfactuals(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
