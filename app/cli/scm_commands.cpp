#include "scm_commands.h"

#include <torch/torch.h>
#include <cstdio>
#include <fstream>

#include "argument_parser.h"
#include "console_monitor.h"
#include "runtime_options.h"
#include "scm_evaluation.h"
#include "scm_training.h"

namespace cfx::cli {

int runTrainScm(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx train scm",
      "Fit the scalar causal model (one conditional flow or Gumbel-max mechanism per graph\n"
      "variable) to a data set's attributes by maximum likelihood, then report the held-out\n"
      "log-likelihood per variable. Resumes from MODEL_DIR/runs/scm when interrupted.");
  parser.required("data", "DIR", "data set folder (manifest.csv)")
      .required("out", "MODEL_DIR", "model folder; the SCM is added to its model.json")
      .option("graph", "FILE", "causal graph (default: DIR/graph.json)")
      .option("flow", "affine|spline", "flow of the continuous mechanisms", "spline")
      .option("hidden", "H", "width of each mechanism's MLP (0: linear conditioner)", "32")
      .option("bins", "K", "spline bins", "8")
      .option("steps", "N", "optimisation steps", "4000")
      .option("batch", "B", "batch size", "512")
      .option("lr", "RATE", "peak learning rate (cosine decay to 2 %)", "3e-3")
      .option("seed", "S", "random seed", "0");
  // The same --threads as every other stage: `cfx train all` passes its own value (auto by
  // default).
  declareThreadsOption(parser);
  if (!parser.parse(arguments)) return 0;
  threadBudget(parser).apply();
  training::ScmTrainingOptions options;
  options.dataDir = parser.get("data");
  options.modelDir = parser.get("out");
  if (parser.has("graph")) options.graphPath = parser.get("graph");
  options.network.flow = parseFlowKind(parser.get("flow"), "--flow");
  options.network.hidden = parser.getInteger("hidden", 0, 4096);
  options.network.bins = parser.getInteger("bins", 2, 64);
  options.steps = parser.getInteger("steps", 1, 10'000'000);
  options.learningRate = parser.getNumber("lr");
  options.seed = std::uint64_t(parser.getInteger("seed", 0, 1L << 40));
  options.batch = parser.getInteger("batch", 1, 1 << 20);
  options.command = commandLine("cfx train scm", arguments);
  ConsoleMonitor monitor;
  const auto result = training::trainScm(options, monitor);
  std::fputs(result.report.c_str(), stdout);
  return result.completed ? 0 : 130;
}

int runEvaluateScm(const std::vector<std::string>& arguments) {
  ArgumentParser parser(
      "cfx evaluate scm",
      "Compare the fitted SCM's counterfactuals with a phantom data set's true ones: random test\n"
      "subjects, one random variable each set to another test subject's value (sex flipped),\n"
      "descendants predicted by the model vs recomputed by the phantom with the stored noise.");
  parser.required("model", "MODEL_DIR", "model folder with an SCM")
      .required("data", "DIR", "phantom data set (with exogenous.bin)")
      .option("interventions", "N", "number of random single-variable interventions", "1000")
      .option("seed", "S", "random seed of the intervention sample", "1")
      .option("report", "FILE", "also write the table as JSON");
  if (!parser.parse(arguments)) return 0;
  const auto scores = evaluation::evaluateScm(
      parser.get("model"), parser.get("data"), parser.getInteger("interventions", 1, 1'000'000),
      std::uint64_t(parser.getInteger("seed", 0, 1L << 40)));
  std::fputs(scores.table.c_str(), stdout);
  const nlohmann::json& report = scores.json;
  if (parser.has("report")) {
    const std::string text = report.dump(2) + "\n";
    std::ofstream(parser.get("report")) << text;
  }
  return 0;
}

}  // namespace cfx::cli
