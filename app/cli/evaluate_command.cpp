#include "evaluate_command.h"

#include <cstdio>
#include <filesystem>

#include "argument_parser.h"
#include "console_monitor.h"
#include "counterfactual_evaluation.h"
#include "evaluation_report.h"
#include "runtime_options.h"

namespace cfx::cli {

int runEvaluateSuite(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx evaluate",
      "The whole evaluation of a model's counterfactuals (method.md section 5) on one data set:\n"
      "effectiveness (independent evaluation segmentor for areas, predictors for the rest, every\n"
      "variable scored), composition (1 and 10 null cycles), reversibility, locality (change\n"
      "outside and inside the intervened structure), realism (Frechet distance and KID on the\n"
      "evaluation segmentor's features: trained here, not comparable to published FID) and, on\n"
      "phantom data, the error against the true counterfactual. Writes REPORT_DIR/metrics.json\n"
      "and REPORT_DIR/report.html (self-contained, opens offline).");
  parser
      .required("model", "MODEL_DIR",
                "model folder (scm, hvae, segmentor, eval_segmentor, predictors)")
      .required("data", "DIR", "data set at the model's image size (a phantom adds ground truth)")
      .required("out", "REPORT_DIR", "where metrics.json and report.html go")
      .option("interventions", "N", "number of interventions (the same sample for the same seed)",
              "300")
      .option("seed", "S", "seed of the intervention sample", "1")
      .option("split", "NAME", "split to draw subjects from (all for a data set of its own seed)",
              "test")
      .option("cycles", "K", "interventions that also get the 10-cycle composition", "30")
      .option("grid", "G", "examples shown as images in the report", "8");
  declareRuntimeOptions(parser);
  if (!parser.parse(arguments)) return 0;
  evaluation::CounterfactualEvaluationOptions options;
  options.device = applyRuntimeOptions(parser);
  options.modelDir = parser.get("model");
  options.dataDir = parser.get("data");
  options.split = parser.get("split");
  options.interventions = parser.getInteger("interventions", 1, 1'000'000);
  options.cycles = parser.getInteger("cycles", 0, 1'000'000);
  options.grid = parser.getInteger("grid", 0, 100);
  options.seed = std::uint64_t(parser.getInteger("seed", 0, 1L << 40));
  ConsoleMonitor monitor;
  const auto result = evaluation::evaluateCounterfactuals(options, monitor);
  std::fputs(evaluation::consoleSummary(result).c_str(), stdout);
  const std::filesystem::path out = parser.get("out");
  evaluation::writeEvaluation(result, out.string());
  std::printf("wrote %s and %s\n", (out / "metrics.json").c_str(), (out / "report.html").c_str());
  return 0;
}

}  // namespace cfx::cli
