#include "scm_commands.h"

#include <torch/torch.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "argument_parser.h"
#include "console_progress.h"
#include "dataset_tensors.h"
#include "interrupt.h"
#include "model_bundle.h"
#include "phantom_dataset.h"
#include "phantom_scm.h"
#include "scalar_scm.h"
#include "trainer.h"
#include "validation_error.h"

namespace cfx::cli {
namespace {}  // namespace

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
      .option("seed", "S", "random seed", "0")
      .option("threads", "T", "CPU threads",
              std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  if (!parser.parse(arguments)) return 0;
  const std::string dataDir = parser.get("data"), modelDir = parser.get("out");
  const std::string graphPath = parser.has("graph") ? parser.get("graph") : dataDir + "/graph.json";
  torch::set_num_threads(int(parser.getInteger("threads", 1, 256)));
  const CausalGraph graph = loadGraphFile(graphPath);
  const io::Manifest manifest = io::readManifest(dataDir + "/manifest.csv", graph);
  const auto trainSet = attributeTensor(manifest, graph, "train");
  const auto validation = attributeTensor(manifest, graph, "val");

  ScmConfig config;
  config.flow = parseFlowKind(parser.get("flow"), "--flow");
  config.hidden = parser.getInteger("hidden", 0, 4096);
  config.bins = parser.getInteger("bins", 2, 64);
  torch::manual_seed(uint64_t(parser.getInteger("seed", 0, 1L << 40)));  // initial weights
  ScalarScm scm(graph, config, ScalarScmImpl::computeStatistics(graph, trainSet));

  TrainingOptions options;
  options.steps = parser.getInteger("steps", 1, 10'000'000);
  options.learningRate = parser.getNumber("lr");
  options.warmupSteps = std::min<int64_t>(200, options.steps / 10 + 1);
  options.finalLearningRateFraction = 0.02;
  options.emaDecay = 0.99;
  options.weightDecay = 1e-4;
  options.validateEvery = std::max<int64_t>(1, options.steps / 10);
  options.checkpointEvery = std::max<int64_t>(1, options.steps / 20);
  options.seed = std::uint64_t(parser.getInteger("seed", 0, 1L << 40));
  const int64_t batch = parser.getInteger("batch", 1, 1 << 20);

  TrainingHooks hooks;
  hooks.step = [&](int64_t, at::Generator& g) {
    const auto index = torch::randint(trainSet.size(0), {batch}, g, torch::kInt64);
    return StepResult{-scm->logProb(trainSet.index_select(0, index)).sum(1).mean(), {}};
  };
  hooks.validate = [&] {
    torch::NoGradGuard noGrad;
    return std::map<std::string, double>{
        {"val_log_likelihood", scm->logProb(validation).sum(1).mean().item<double>()}};
  };
  ConsoleProgress progress(std::cerr, "train scm", long(options.steps), stderrIsTerminal());
  hooks.progress = [&](const TrainingProgress& p) {
    char detail[96];
    std::snprintf(detail, sizeof detail, "nll %.3f", p.loss);
    progress.update(long(p.step), detail);
  };
  const auto start = std::chrono::steady_clock::now();
  const std::string runDir = modelDir + "/runs/scm";
  if (train(*scm, options, hooks, runDir, &interruptRequested()) == TrainingOutcome::Interrupted) {
    std::cerr << "\ninterrupted; the checkpoint in " << runDir
              << " is complete: run the same command to resume\n";
    return 130;
  }
  progress.finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  torch::NoGradGuard noGrad;
  scm->eval();
  nlohmann::json heldOut;
  std::printf("held-out log-likelihood per subject (nats; natural units)\n%-18s %12s %12s\n",
              "variable", "val", "test");
  const auto test = attributeTensor(manifest, graph, "test");
  const auto valLl = scm->logProb(validation).mean(0), testLl = scm->logProb(test).mean(0);
  for (size_t v = 0; v < graph.variables().size(); ++v) {
    const auto& name = graph.variables()[v].name;
    std::printf("%-18s %12.4f %12.4f\n", name.c_str(), valLl[int64_t(v)].item<double>(),
                testLl[int64_t(v)].item<double>());
    heldOut[name] = {{"val", valLl[int64_t(v)].item<double>()},
                     {"test", testLl[int64_t(v)].item<double>()}};
  }
  std::printf("%-18s %12.4f %12.4f\n", "total", valLl.sum().item<double>(),
              testLl.sum().item<double>());
  ModelBundle::saveComponent(modelDir, "scm", scm->toJson(), moduleWeights(*scm),
                             {{"command", commandLine("cfx train scm", arguments)},
                              {"data", std::filesystem::absolute(dataDir).string()},
                              {"training", options.toJson()},
                              {"batch", batch},
                              {"train_subjects", trainSet.size(0)},
                              {"seconds", seconds},
                              {"held_out_log_likelihood", heldOut}});
  std::printf("saved the SCM to %s/model.json (%.1f s)\n", modelDir.c_str(), seconds);
  return 0;
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
  ScalarScm scm = loadScalarScm(parser.get("model"));
  const CausalGraph& graph = scm->graph();
  const PhantomDataset data = loadPhantomDataset(parser.get("data"));
  const phantom::PhantomScm truth(data.coefficients);
  const io::Manifest manifest = io::readManifest(parser.get("data") + "/manifest.csv", data.graph);
  const auto subjects = manifest.split("test");
  const auto pool = attributeTensor(manifest, graph, "test");
  const int64_t count = parser.getInteger("interventions", 1, 1'000'000);
  const int64_t variables = int64_t(graph.variables().size());

  at::Generator g = makeGenerator(std::uint64_t(parser.getInteger("seed", 0, 1L << 40)));
  const auto subject = torch::randint(int64_t(subjects.size()), {count}, g, torch::kInt64);
  const auto target = torch::randint(variables, {count}, g, torch::kInt64);
  const auto donor = torch::randint(int64_t(subjects.size()), {count}, g, torch::kInt64);
  const auto observed = pool.index_select(0, subject);
  auto mask = torch::zeros({count, variables}, torch::kBool);
  auto targets = observed.clone();
  auto expected = torch::empty_like(observed);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t v = target[i].item<int64_t>();
    const Variable& variable = graph.variables()[size_t(v)];
    const float value = variable.kind == VariableKind::Continuous
                            ? pool[donor[i].item<int64_t>()][v].item<float>()
                            : 1.0f - observed[i][v].item<float>();
    mask[i][v] = true;
    targets[i][v] = value;
    const auto& row = *subjects[size_t(subject[i].item<int64_t>())];
    const auto cf = truth.evaluate(data.noise.at(row.id), {{variable.name, double(value)}});
    for (int64_t w = 0; w < variables; ++w)
      expected[i][w] = float(cf.get(graph.variables()[size_t(w)].name));
  }
  torch::NoGradGuard noGrad;
  const auto noise = scm->abduct(observed, g);
  const auto predicted = scm->counterfactual(observed, noise, mask, targets);
  const auto descendant = scm->affected(mask) & ~mask;

  std::printf(
      "SCM counterfactuals vs the phantom's truth: %lld single-variable interventions on test "
      "subjects\n",
      static_cast<long long>(count));
  std::printf("%-18s %8s %10s %10s %12s\n", "variable", "n", "MAE", "data std", "MAE / std");
  nlohmann::json report = {{"interventions", count}, {"variables", nlohmann::json::object()}};
  bool allWithin = true;
  for (int64_t v = 0; v < variables; ++v) {
    const auto rows = descendant.select(1, v);
    const int64_t n = rows.sum().item<int64_t>();
    const double std = pool.select(1, v).std().item<double>();
    const auto& name = graph.variables()[size_t(v)].name;
    if (n == 0) {
      std::printf("%-18s %8s %10s %10.3f %12s\n", name.c_str(), "0", "-", std, "(root)");
      continue;
    }
    const double mae = (predicted.select(1, v) - expected.select(1, v))
                           .abs()
                           .masked_select(rows)
                           .mean()
                           .item<double>();
    std::printf("%-18s %8lld %10.4f %10.3f %11.2f%%\n", name.c_str(), static_cast<long long>(n),
                mae, std, 100 * mae / std);
    report["variables"][name] = {{"n", n}, {"mae", mae}, {"std", std}, {"mae_over_std", mae / std}};
    allWithin = allWithin && mae / std < 0.05;
  }
  // Non-descendants are copied by construction; show that it holds.
  const double untouched =
      (predicted - observed).abs().masked_select(~scm->affected(mask)).max().item<double>();
  std::printf("largest change of a non-descendant: %g\n", untouched);
  report["max_non_descendant_change"] = untouched;
  report["all_within_5_percent_of_std"] = allWithin;
  if (parser.has("report")) {
    const std::string text = report.dump(2) + "\n";
    std::ofstream(parser.get("report")) << text;
  }
  return 0;
}

}  // namespace cfx::cli
