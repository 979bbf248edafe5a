#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx train scm`: fit the scalar causal model to a data set by maximum likelihood.
int runTrainScm(const std::vector<std::string>& arguments);
// `cfx evaluate scm`: the fitted SCM's counterfactuals against a phantom's true ones.
int runEvaluateScm(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
