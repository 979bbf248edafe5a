#pragma once

#include <string>
#include <vector>

namespace cfx::evaluation {

// One Markdown table of the headline metrics of several `cfx evaluate` report folders (their
// metrics.json), one row per model, plus the phantom's two references (the unedited input and
// the true counterfactual) when the reports have ground truth. The reports must share data,
// split, interventions and seed (a ValidationError names the one that differs).
std::string compareReports(const std::vector<std::string>& reportDirs);

}  // namespace cfx::evaluation
