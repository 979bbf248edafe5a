#pragma once

#include <string>
#include <vector>

namespace cfx::cli {

// `cfx evaluate --model --data --out`: every counterfactual metric, metrics.json and an HTML
// report.
int runEvaluateSuite(const std::vector<std::string>& arguments);

}  // namespace cfx::cli
