#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "counterfactual_evaluation.h"

namespace cfx::evaluation {

// The evaluation's tables as the console shows them.
std::string consoleSummary(const CounterfactualEvaluation& evaluation);

// One line per fine-tuning setting that matters to a reader ("guidance: pos-seg", ...), from a
// model's fine-tuning record; the full record (the regional mechanism's slopes) stays in
// metrics.json.
std::string fineTuningRecipe(const nlohmann::json& fineTuning);

// The self-contained HTML report: what was evaluated and the recipe, then the tables, the
// scatter plots and the examples, laid out to fit the page.
std::string htmlReport(const CounterfactualEvaluation& evaluation);

// Writes REPORT_DIR/metrics.json and REPORT_DIR/report.html (each atomically; the folder is
// created if needed).
void writeEvaluation(const CounterfactualEvaluation& evaluation, const std::string& reportDir);

}  // namespace cfx::evaluation
